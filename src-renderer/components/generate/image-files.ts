export interface ImageFile {
  /** Base64 without the data-URL prefix. */
  data: string;
  url: string;
  name: string;
  isPng: boolean;
}

const accepted = ['image/png', 'image/jpeg'];
export const ACCEPT = accepted.join(',');
/** The contract's limit on an image as base64. */
const MAX_BASE64 = 60_000_000;

/** Reads a picked or dropped file, or says in words why it cannot be used. */
export function readImageFile(file: File): Promise<ImageFile> {
  if (!accepted.includes(file.type)) {
    return Promise.reject(new Error(`"${file.name}" is not a PNG or JPEG image. Drop or pick a .png or .jpg file.`));
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error(`Could not read "${file.name}".`));
    reader.onload = () => {
      const url = String(reader.result);
      const data = url.slice(url.indexOf(',') + 1);
      if (data.length > MAX_BASE64) {
        reject(new Error(`"${file.name}" is too large (over 45 MB). Use a smaller image.`));
        return;
      }
      resolve({ data, url, name: file.name, isPng: file.type === 'image/png' });
    };
    reader.readAsDataURL(file);
  });
}

/** The first file of a drag, if the drag carries files at all. */
export function draggedFile(transfer: DataTransfer): File | null {
  return transfer.files[0] ?? null;
}

export function carriesFiles(transfer: DataTransfer): boolean {
  return Array.from(transfer.types).includes('Files');
}

/** What a gallery cell carries when dragged (see GalleryCell). */
export const GALLERY_DRAG_TYPE = 'application/x-easel-gallery-image';

export function carriesGalleryImage(transfer: DataTransfer): boolean {
  return Array.from(transfer.types).includes(GALLERY_DRAG_TYPE);
}

/** The gallery image a drag carries; readable only on drop, as browsers hide drag data until then. */
export function draggedGalleryImage(transfer: DataTransfer): { id: string; prompt: string } | null {
  try {
    const value: unknown = JSON.parse(transfer.getData(GALLERY_DRAG_TYPE));
    if (typeof value !== 'object' || value === null) return null;
    const { id, prompt } = value as Record<string, unknown>;
    return typeof id === 'string' ? { id, prompt: typeof prompt === 'string' ? prompt : '' } : null;
  } catch {
    return null;
  }
}
