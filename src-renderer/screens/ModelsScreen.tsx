import { Icon } from '../components/Icon';
import { useAppStore } from '../stores/app-store';

export function ModelsScreen() {
  const info = useAppStore((state) => state.info);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Models</h1>
      </header>
      <div className="empty-state">
        <Icon name="models" size={40} />
        <h2>No models installed</h2>
        <p>Models live in</p>
        <code>{info?.paths.models ?? '…'}</code>
      </div>
    </div>
  );
}
