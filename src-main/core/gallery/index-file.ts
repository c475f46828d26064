import fs from 'node:fs/promises';
import path from 'node:path';
import { fileError, writeFileAtomic } from '../fs/atomic';
import { GalleryIndex } from './store';

/** The index's name in the gallery folder; its presence marks the folder as Easel's. */
export const GALLERY_INDEX_FILE = '.easel-index.json';

/**
 * The gallery index on disk (`.easel-index.json`): read once at open, written shortly after changes
 * (debounced) and on close. Losing it loses nothing: it is rebuilt from the PNGs.
 */
export class IndexFile {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;

  constructor(
    readonly file: string,
    /** The index as it is now, serialised when a write is due. */
    private readonly serialize: () => string,
    private readonly writeDelayMs: number,
  ) {}

  /** The saved index, or null when there is none or it cannot be parsed (then it is rebuilt). */
  async read(): Promise<GalleryIndex | null> {
    try {
      return GalleryIndex.parse(await fs.readFile(this.file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileError(error, 'read the gallery index', this.file);
    }
  }

  /** The index changed: it is written after the delay, batching further changes. */
  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failed background write is retried by the next change or by close(), which reports it.
      this.flush().catch(() => undefined);
    }, this.writeDelayMs);
    this.timer.unref();
  }

  /** Writes the index now if it has unsaved changes. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.writing) await this.writing.catch(() => undefined);
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = (async () => {
      try {
        await fs.mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, this.serialize());
      } catch (error) {
        this.dirty = true;
        throw fileError(error, 'write the gallery index', this.file);
      } finally {
        this.writing = null;
      }
    })();
    await this.writing;
  }
}
