import { Icon } from '../components/Icon';
import { useAppStore } from '../stores/app-store';

export function GalleryScreen() {
  const info = useAppStore((state) => state.info);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Gallery</h1>
      </header>
      <div className="empty-state">
        <Icon name="gallery" size={40} />
        <h2>No images yet</h2>
        <p>Every image you generate is saved as a PNG with its settings, in</p>
        <code>{info?.paths.gallery ?? '…'}</code>
      </div>
    </div>
  );
}
