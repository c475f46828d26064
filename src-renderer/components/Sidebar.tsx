import { useSyncExternalStore } from 'react';
import iconUrl from '../../resources/icon.svg';
import { useAppStore, type Screen } from '../stores/app-store';
import { carriesGalleryImage } from './generate/image-files';
import { Icon, type IconName } from './Icon';

const items: Array<{ screen: Screen; label: string; icon: IconName }> = [
  { screen: 'generate', label: 'Generate', icon: 'generate' },
  { screen: 'canvas', label: 'Canvas', icon: 'canvas' },
  { screen: 'gallery', label: 'Gallery', icon: 'gallery' },
  { screen: 'models', label: 'Models', icon: 'models' },
  { screen: 'settings', label: 'Settings', icon: 'settings' },
];

/** Below this window width the sidebar shows only its icons unless it was opened by hand; styles.css agrees. */
const NARROW = '(max-width: 1099px)';

function useNarrowWindow(): boolean {
  return useSyncExternalStore(
    (changed) => {
      const query = window.matchMedia(NARROW);
      query.addEventListener('change', changed);
      return () => query.removeEventListener('change', changed);
    },
    () => window.matchMedia(NARROW).matches,
  );
}

/** Whether the sidebar shows only icons now: the person's choice, else the window's width. */
export function useSidebarCollapsed(): boolean {
  const mode = useAppStore((state) => state.sidebar);
  const narrow = useNarrowWindow();
  return mode === 'collapsed' || (mode === 'auto' && narrow);
}

export function Sidebar() {
  const screen = useAppStore((state) => state.screen);
  const setScreen = useAppStore((state) => state.setScreen);
  const setSidebar = useAppStore((state) => state.setSidebar);
  const info = useAppStore((state) => state.info);
  const collapsed = useSidebarCollapsed();
  return (
    <nav className={collapsed ? 'sidebar collapsed' : 'sidebar'} aria-label="Main">
      <div className="brand">
        <img src={iconUrl} alt="" width={28} height={28} />
        <span>Easel</span>
      </div>
      <ul>
        {items.map((item) => (
          <li key={item.screen}>
            <button
              type="button"
              className={item.screen === screen ? 'nav-item active' : 'nav-item'}
              aria-current={item.screen === screen ? 'page' : undefined}
              title={collapsed ? item.label : undefined}
              onClick={() => setScreen(item.screen)}
              // A gallery image dragged over Generate opens it, so the image can be dropped on the form.
              onDragOver={(event) => {
                if (item.screen === 'generate' && carriesGalleryImage(event.dataTransfer)) setScreen('generate');
              }}
            >
              <Icon name={item.icon} />
              <span className="nav-label">{item.label}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-footer">
        <button
          type="button"
          className="icon-button sidebar-toggle"
          aria-expanded={!collapsed}
          aria-label={collapsed ? 'Show menu labels' : 'Hide menu labels'}
          title={collapsed ? 'Show menu labels' : 'Hide menu labels'}
          onClick={() => setSidebar(collapsed ? 'expanded' : 'collapsed')}
        >
          <Icon name={collapsed ? 'right' : 'left'} size={16} />
        </button>
        {!collapsed && <span>{info ? `v${info.version} · ${info.host === 'web' ? 'browser' : 'desktop'}` : ''}</span>}
      </div>
    </nav>
  );
}
