import { useEffect } from 'react';
import { ErrorBanner } from './components/ErrorBanner';
import { Sidebar } from './components/Sidebar';
import { GalleryScreen } from './screens/GalleryScreen';
import { GenerateScreen } from './screens/GenerateScreen';
import { ModelsScreen } from './screens/ModelsScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { SetupWizard } from './screens/SetupWizard';
import { followSettingsChanges, useAppStore } from './stores/app-store';

const screens = {
  generate: GenerateScreen,
  gallery: GalleryScreen,
  models: ModelsScreen,
  settings: SettingsScreen,
};

export function App() {
  const screen = useAppStore((state) => state.screen);
  const theme = useAppStore((state) => state.settings?.theme ?? 'system');
  const load = useAppStore((state) => state.load);
  const setupComplete = useAppStore((state) => state.settings?.setupComplete);

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
    <div className="app">
      <Sidebar />
      <main className="content">
        <ErrorBanner />
        <Current />
      </main>
    </div>
  );
}
