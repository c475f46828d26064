import type { GalleryItem } from '../../../src-preload/api';
import { Icon } from '../Icon';
import { thumbnails, useLoadedImage } from './images';

/** Thumbnails wait this long after appearing, so a fast scroll past them fetches nothing. */
const SCROLL_SETTLE_MS = 80;

export function GalleryCell({ item, onOpen }: { item: GalleryItem | undefined; onOpen(): void }) {
  const image = useLoadedImage(thumbnails, item?.id ?? null, SCROLL_SETTLE_MS);
  if (!item) return <div className="cell-skeleton" aria-hidden="true" />;
  const prompt = item.meta.prompt.trim() || '(no prompt)';
  return (
    <button type="button" className="gallery-cell" onClick={onOpen} aria-label={`Open image: ${prompt}`} title={prompt}>
      {image.url ? (
        <img src={image.url} alt="" draggable={false} />
      ) : (
        <span className={image.error ? 'cell-skeleton failed' : 'cell-skeleton'}>{image.error ? 'Could not load' : ''}</span>
      )}
      {item.favourite && (
        <span className="cell-favourite" aria-label="Favourite">
          <Icon name="star" size={16} filled />
        </span>
      )}
      {item.meta.placeholder && <span className="badge cell-badge">PLACEHOLDER</span>}
      <span className="cell-caption">{prompt}</span>
    </button>
  );
}
