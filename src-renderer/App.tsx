import { useEffect } from 'react';
import { ErrorBanner } from './components/ErrorBanner';
import { Sidebar, useSidebarCollapsed } from './components/Sidebar';
import { CanvasScreen } from './screens/CanvasScreen';
import { GalleryScreen } from './screens/GalleryScreen';
import { GenerateScreen } from './screens/GenerateScreen';
import { ModelsScreen } from './screens/ModelsScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { SetupWizard } from './screens/SetupWizard';
import { followSettingsChanges, useAppStore } from './stores/app-store';

const screens = {
  generate: GenerateScreen,
  canvas: CanvasScreen,
  gallery: GalleryScreen,
  models: ModelsScreen,
  settings: SettingsScreen,
};

/** The first Tab stop: straight to the prompt on Generate, else to the screen's content. */
function SkipLink({ screen }: { screen: string }) {
  const target = screen === 'generate' ? 'prompt-prompt' : 'main';
  return (
    <a
      className="skip-link"
      href={`#${target}`}
      onClick={(event) => {
        event.preventDefault();
        document.getElementById(target)?.focus();
      }}
    >
      {screen === 'generate' ? 'Skip to the prompt' : 'Skip to the content'}
    </a>
  );
}

export function App() {
  const screen = useAppStore((state) => state.screen);
  const theme = useAppStore((state) => state.settings?.theme ?? 'system');
  const load = useAppStore((state) => state.load);
  const setupComplete = useAppStore((state) => state.settings?.setupComplete);
  const collapsed = useSidebarCollapsed();

  useEffect(() => {
    void load();
    return followSettingsChanges();
  }, [load]);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  // The wizard shows on first run, and again when Settings asks for it, until it is finished or skipped.
  if (setupComplete === false) return <SetupWizard />;
  const Current = screens[screen];
  return (
    <div className={collapsed ? 'app sidebar-collapsed' : 'app'}>
      <SkipLink screen={screen} />
      <Sidebar />
      <main className="content" id="main" tabIndex={-1}>
        <ErrorBanner />
        <Current />
      </main>
    </div>
  );
}
