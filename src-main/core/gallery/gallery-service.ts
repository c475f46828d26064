import type {
  GalleryItem,
  GalleryListRequest,
  GalleryModel,
  GalleryPage,
  ImageMetadata,
  ImportedParameters,
} from '../../../src-preload/api';
import { EaselError } from '../errors';
import { parseImageParameters } from './a1111';
import { Gallery, type GalleryEntry } from './gallery';
import { readPngTextChunks } from './png-text';

export interface GalleryServiceOptions {
  /** The gallery folder now (the settings may move it). */
  dir: () => Promise<string>;
  onChange: (change: { added: GalleryItem[]; removed: string[] }) => void;
  clock?: () => number;
}

/** How often opening the first page looks for images added or removed by hand. */
const REFRESH_INTERVAL_MS = 3_000;

export function toGalleryItem(entry: GalleryEntry): GalleryItem {
  return {
    id: entry.id,
    createdAt: entry.createdAt,
    width: entry.width,
    height: entry.height,
    favourite: entry.favourite,
    source: entry.source,
    meta: entry.meta,
  };
}

function dataUrl(mime: string, bytes: Buffer): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/** The gallery as the app uses it: the folder the settings name, noticed changes, and events. */
export class GalleryService {
  private open: { dir: string; gallery: Promise<Gallery> } | null = null;
  private lastRefresh = 0;

  constructor(private readonly options: GalleryServiceOptions) {}

  /** The gallery for the folder the settings name now; a changed folder closes the old one. */
  async current(): Promise<Gallery> {
    const dir = await this.options.dir();
    if (this.open?.dir !== dir) {
      const previous = this.open;
      // Undo lasts while the app runs; what earlier runs deleted is emptied from the trash now.
      const opening = Gallery.open({ dir, ...(this.options.clock ? { clock: this.options.clock } : {}) }).then(async (gallery) => {
        await gallery.purgeTrash();
        return gallery;
      });
      this.open = { dir, gallery: opening };
      this.open.gallery.catch(() => {
        if (this.open?.dir === dir) this.open = null;
      });
      this.lastRefresh = this.now();
      if (previous) await (await previous.gallery.catch(() => null))?.close();
    }
    return this.open.gallery;
  }

  async save(rgb: Uint8Array, width: number, height: number, meta: ImageMetadata): Promise<GalleryItem> {
    const item = toGalleryItem(await (await this.current()).save(rgb, width, height, meta));
    this.options.onChange({ added: [item], removed: [] });
    return item;
  }

  async list(request: GalleryListRequest): Promise<GalleryPage> {
    const gallery = await this.current();
    if ((request.offset ?? 0) === 0 && this.now() - this.lastRefresh > REFRESH_INTERVAL_MS) {
      this.lastRefresh = this.now();
      const report = await gallery.refresh();
      if (report.added.length + report.updated.length + report.removed.length > 0) {
        const added = [...report.added, ...report.updated].map((id) => toGalleryItem(gallery.get(id)));
        this.options.onChange({ added, removed: report.removed });
      }
    }
    const page = gallery.list(request);
    return { total: page.total, items: page.items.map(toGalleryItem) };
  }

  async models(): Promise<GalleryModel[]> {
    return (await this.current()).models();
  }

  async thumbnail(id: string): Promise<{ id: string; dataUrl: string }> {
    return { id, dataUrl: dataUrl('image/webp', await (await this.current()).thumbnail(id)) };
  }

  async image(id: string): Promise<{ id: string; dataUrl: string }> {
    return { id, dataUrl: dataUrl('image/png', await (await this.current()).readImage(id)) };
  }

  async file(id: string): Promise<{ path: string; bytes: Buffer }> {
    const gallery = await this.current();
    return { path: gallery.get(id).file, bytes: await gallery.readImage(id) };
  }

  async setFavourite(id: string, favourite: boolean): Promise<GalleryItem> {
    const item = toGalleryItem(await (await this.current()).setFavourite(id, favourite));
    this.options.onChange({ added: [item], removed: [] });
    return item;
  }

  async delete(id: string): Promise<{ id: string }> {
    await (await this.current()).delete(id);
    this.options.onChange({ added: [], removed: [id] });
    return { id };
  }

  async undoDelete(id: string): Promise<GalleryItem> {
    const item = toGalleryItem(await (await this.current()).undoDelete(id));
    this.options.onChange({ added: [item], removed: [] });
    return item;
  }

  /** Reads the parameters another tool (or Easel) embedded in a PNG a person dropped on the window. */
  readParameters(base64: string): ImportedParameters {
    const png = Buffer.from(base64.replace(/^data:[^,]*,/, ''), 'base64');
    let chunks: Record<string, string>;
    try {
      chunks = readPngTextChunks(png);
    } catch (error) {
      if (error instanceof EaselError) {
        throw new EaselError('image_invalid', 'That file is not a PNG Easel can read, so it carries no settings to load.');
      }
      throw error;
    }
    try {
      return parseImageParameters(chunks);
    } catch (error) {
      if (error instanceof EaselError && error.code === 'not_found') {
        throw new EaselError(
          'not_found',
          'This PNG has no generation settings in it (Easel, A1111, ComfyUI and InvokeAI images do).',
        );
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = null;
    await (await open?.gallery.catch(() => null))?.close();
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
