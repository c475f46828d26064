import { useEffect } from 'react';
import { useGalleryStore } from '../../stores/gallery-store';

/** How long a deletion can be undone from the toast, and how long other messages stay. */
const UNDO_MS = 8000;
const MESSAGE_MS = 5000;

export function Toast() {
  const toast = useGalleryStore((state) => state.toast);
  const showToast = useGalleryStore((state) => state.showToast);
  const undoDelete = useGalleryStore((state) => state.undoDelete);

  useEffect(() => {
    if (!toast) return;
    const timer = window.setTimeout(() => showToast(null), toast.undoId ? UNDO_MS : MESSAGE_MS);
    return () => window.clearTimeout(timer);
  }, [toast, showToast]);

  if (!toast) return null;
  const { undoId } = toast;
  return (
    <div className="toast" role="status">
      <span>{toast.text}</span>
      {undoId && (
        <button type="button" className="link" onClick={() => void undoDelete(undoId)}>
          Undo
        </button>
      )}
      <button type="button" className="link dim" onClick={() => showToast(null)}>
        Dismiss
      </button>
    </div>
  );
}
