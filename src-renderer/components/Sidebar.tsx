import iconUrl from '../../resources/icon.svg';
import { useAppStore, type Screen } from '../stores/app-store';
import { Icon, type IconName } from './Icon';

const items: Array<{ screen: Screen; label: string; icon: IconName }> = [
  { screen: 'generate', label: 'Generate', icon: 'generate' },
  { screen: 'gallery', label: 'Gallery', icon: 'gallery' },
  { screen: 'models', label: 'Models', icon: 'models' },
  { screen: 'settings', label: 'Settings', icon: 'settings' },
];

export function Sidebar() {
  const screen = useAppStore((state) => state.screen);
  const setScreen = useAppStore((state) => state.setScreen);
  const info = useAppStore((state) => state.info);
  return (
    <nav className="sidebar" aria-label="Main">
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
              onClick={() => setScreen(item.screen)}
            >
              <Icon name={item.icon} />
              <span>{item.label}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-footer">{info ? `v${info.version} · ${info.host === 'web' ? 'browser' : 'desktop'}` : ''}</div>
    </nav>
  );
}
