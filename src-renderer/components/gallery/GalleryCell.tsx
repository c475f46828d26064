import type { GalleryItem } from '../../../src-preload/api';
import { GALLERY_DRAG_TYPE } from '../generate/image-files';
import { Icon } from '../Icon';
import { isSmall, thumbnails, useLoadedImage } from './images';

/** Thumbnails wait this long after appearing, so a fast scroll past them fetches nothing. */
const SCROLL_SETTLE_MS = 80;

interface GalleryCellProps {
  item: GalleryItem | undefined;
  /** The grid's one Tab stop (roving tabindex). */
  tabbable: boolean;
  onOpen(): void;
}

export function GalleryCell({ item, tabbable, onOpen }: GalleryCellProps) {
  const image = useLoadedImage(thumbnails, item?.id ?? null, SCROLL_SETTLE_MS);
  if (!item) return <div className="cell-skeleton" aria-hidden="true" />;
  const prompt = item.meta.prompt.trim() || '(no prompt)';
  return (
    <button
      type="button"
      className="gallery-cell"
      tabIndex={tabbable ? 0 : -1}
      onClick={onOpen}
      aria-label={`Open image: ${prompt}`}
      title={`${prompt}\nDrag onto Generate to start from this image`}
      draggable
      onDragStart={(event) => {
        event.dataTransfer.setData(GALLERY_DRAG_TYPE, JSON.stringify({ id: item.id, prompt: item.meta.prompt }));
        event.dataTransfer.setData('text/plain', item.meta.prompt);
        event.dataTransfer.effectAllowed = 'copy';
      }}
    >
      {image.url ? (
        <img src={image.url} alt="" draggable={false} className={isSmall(item) ? 'pixelated' : undefined} />
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
