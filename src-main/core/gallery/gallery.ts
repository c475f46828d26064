import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { ErrorInfo, GalleryItem, GalleryModel, ImageMetadata } from '../../../src-preload/api';
import { EaselError, toErrorInfo } from '../errors';
import { formatA1111Parameters, parseImageParameters, type ParsedImageParameters } from './a1111';
import {
  exists,
  fileError,
  moveToFreeName,
  removeTempFiles,
  writeFileAtomic,
  writeNewFileAtomic,
} from '../fs/atomic';
import { A1111_CHUNK, EASEL_CHUNK, formatEaselMetadata, readEaselMetadata } from './easel-metadata';
import { addPngTextChunks, readPngSize, readPngTextChunks } from './png-text';
import { GalleryIndex, type IndexRecord, type ListQuery } from './store';

/**
 * The gallery: a folder of PNGs, each carrying its generation parameters (A1111 `parameters` text for
 * other tools, Easel's full ImageMetadata as `easel` JSON), plus caches that can always be rebuilt from
 * the PNGs alone:
 *
 *   <dir>/2026-11-24_153012_seed123456_00001.png   the images (the file name is the entry's id)
 *   <dir>/.easel-index.json                          index of all entries (or `indexPath`)
 *   <dir>/.easel-favourites.json                     favourite ids: the one thing a PNG does not record,
 *                                                    so it lives beside the images and survives a rebuild
 *   <dir>/.thumbnails/<id>.webp                      256 px thumbnails (or `thumbnailDir`)
 *   <dir>/.trash/<id>                                deleted images until purgeTrash()
 *
 * Every file is written atomically. The index is written shortly after changes (debounced) and on
 * close(); losing it in a crash loses nothing, since open() compares it with the folder.
 */

export interface GalleryOptions {
  dir: string;
  /** Where the index lives; default `<dir>/.easel-index.json`. */
  indexPath?: string;
  /** Where thumbnails are cached; default `<dir>/.thumbnails`. */
  thumbnailDir?: string;
  /** Milliseconds since the epoch; names new files. Default Date.now. */
  clock?: () => number;
  /** How long after a change the index is written; default 250 ms. */
  indexWriteDelayMs?: number;
}

/** A gallery item (its id is the file name, stable across rebuilds) and where its PNG is. */
export interface GalleryEntry extends GalleryItem {
  /** Absolute path of the PNG. */
  file: string;
}

export interface GalleryListResult {
  total: number;
  items: GalleryEntry[];
}

export interface GalleryScanReport {
  added: string[];
  updated: string[];
  removed: string[];
  /** PNGs that could not be read (damaged, truncated): left in place, not listed. */
  skipped: { id: string; error: ErrorInfo }[];
}

export type { ListQuery as GalleryListQuery };

export const THUMBNAIL_SIZE = 256;
const INDEX_FILE = '.easel-index.json';
const FAVOURITES_FILE = '.easel-favourites.json';
const THUMBNAIL_DIR = '.thumbnails';
const TRASH_DIR = '.trash';

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `2026-11-24_153012` in local time: how people sort and recognise their files. */
function timestampForName(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  );
}

/** The running number at the end of a file name Easel gave (`…_00042.png`), or 0. */
function counterOf(name: string): number {
  const match = /_(\d{5,})\.png$/i.exec(name);
  return match ? Number(match[1]) : 0;
}

function isImageName(name: string): boolean {
  return !name.startsWith('.') && /\.png$/i.test(name);
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !isImageName(id) || path.basename(id) !== id || id.includes('\0') || id.includes('\\')) {
    throw new EaselError('invalid_request', `"${String(id)}" is not a gallery image id (a PNG file name in the gallery).`, {
      id,
    });
  }
}

function notFound(id: string): EaselError {
  return new EaselError('not_found', `The image ${id} is not in the gallery (it may have been deleted or moved).`, { id });
}

/** ImageMetadata for a PNG Easel did not make: what its tool recorded, with the rest left empty. */
function importedMetadata(
  parsed: ParsedImageParameters | null,
  size: { width: number; height: number },
  createdAt: string,
): ImageMetadata {
  const unknown: string[] = [];
  const note = parsed ? `Made with ${parsed.source}, not Easel.` : 'This PNG carries no generation parameters.';
  if (parsed && parsed.scheduler === undefined) unknown.push('sampler');
  if (parsed && parsed.seed === undefined) unknown.push('seed');
  const notes = unknown.length > 0 ? [note, `Not recorded in a form Easel uses: ${unknown.join(', ')}.`] : [note];
  const meta: ImageMetadata = {
    prompt: parsed?.prompt ?? '',
    negativePrompt: parsed?.negativePrompt ?? '',
    modelId: parsed?.modelId ?? '',
    modelName: parsed?.modelName ?? '',
    scheduler: parsed?.scheduler ?? 'euler',
    steps: parsed?.steps ?? 0,
    guidance: parsed?.guidance ?? 0,
    seed: parsed?.seed ?? '0',
    width: parsed?.width ?? size.width,
    height: parsed?.height ?? size.height,
    // The contract has no "unknown" provider; 'cpu' with the notes above is the honest nearest.
    provider: 'cpu',
    timings: { totalMs: 0, textEncodeMs: 0, denoiseMs: 0, decodeMs: 0, perStepMs: 0 },
    placeholder: false,
    notes,
    createdAt,
    app: parsed?.source ?? '',
  };
  if (parsed?.strength !== undefined) meta.strength = parsed.strength;
  return meta;
}

export class Gallery {
  readonly dir: string;
  private readonly indexPath: string;
  private readonly thumbnailDir: string;
  private readonly trashDir: string;
  private readonly favouritesPath: string;
  private readonly clock: () => number;
  private readonly indexWriteDelayMs: number;

  private index = new GalleryIndex();
  private favourites = new Set<string>();
  /** Damaged files seen by the last scan, with the stat they had, so unchanged ones are not re-read. */
  private readonly skipped = new Map<string, { size: number; mtimeMs: number; error: ErrorInfo }>();
  private queue: Promise<unknown> = Promise.resolve();
  private indexTimer: NodeJS.Timeout | null = null;
  private indexWrite: Promise<void> | null = null;
  private indexDirty = false;

  private constructor(options: GalleryOptions) {
    this.dir = path.resolve(options.dir);
    this.indexPath = options.indexPath ?? path.join(this.dir, INDEX_FILE);
    this.thumbnailDir = options.thumbnailDir ?? path.join(this.dir, THUMBNAIL_DIR);
    this.trashDir = path.join(this.dir, TRASH_DIR);
    this.favouritesPath = path.join(this.dir, FAVOURITES_FILE);
    this.clock = options.clock ?? Date.now;
    this.indexWriteDelayMs = options.indexWriteDelayMs ?? 250;
  }

  /**
   * Opens (creating if needed) the gallery in `options.dir`: clears temp files of crashed writes, loads
   * the index (rebuilding it from the PNGs if it is missing or unreadable) and brings it up to date
   * with the folder.
   */
  static async open(options: GalleryOptions): Promise<Gallery> {
    const gallery = new Gallery(options);
    await gallery.exclusive(() => gallery.load());
    return gallery;
  }

  private async load(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw fileError(error, 'create the gallery folder', this.dir);
    }
    for (const folder of new Set([this.dir, path.dirname(this.indexPath), this.thumbnailDir])) {
      await removeTempFiles(folder);
    }
    this.favourites = await this.readFavourites();
    const index = await this.readIndex();
    if (index) {
      this.index = index;
      await this.scan(false);
    } else {
      await this.scan(true);
    }
  }

  private async readIndex(): Promise<GalleryIndex | null> {
    try {
      return GalleryIndex.parse(await fs.readFile(this.indexPath, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileError(error, 'read the gallery index', this.indexPath);
    }
  }

  private async readFavourites(): Promise<Set<string>> {
    let text: string;
    try {
      text = await fs.readFile(this.favouritesPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw fileError(error, 'read', this.favouritesPath);
    }
    try {
      const json: unknown = JSON.parse(text);
      const ids = (json as { favourites?: unknown } | null)?.favourites;
      return new Set(Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : []);
    } catch {
      throw new EaselError(
        'io',
        `The favourites file ${this.favouritesPath} is damaged; delete it to start with no favourites.`,
        { path: this.favouritesPath },
      );
    }
  }

  private async writeFavourites(): Promise<void> {
    await writeFileAtomic(this.favouritesPath, JSON.stringify({ favourites: [...this.favourites].sort() }, null, 1));
  }

  /** Runs mutations one at a time, so concurrent saves, deletes and scans never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private entryOf(record: IndexRecord): GalleryEntry {
    return {
      id: record.id,
      file: path.join(this.dir, record.id),
      createdAt: record.createdAt,
      width: record.width,
      height: record.height,
      favourite: record.favourite,
      source: record.source,
      meta: record.meta,
    };
  }

  private record(id: string): IndexRecord {
    checkId(id);
    const record = this.index.get(id);
    if (!record) throw notFound(id);
    return record;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  list(query: ListQuery = {}): GalleryListResult {
    const { total, items } = this.index.list(query);
    return { total, items: items.map((record) => this.entryOf(record)) };
  }

  /** The models the images were made with, for the gallery's model filter. */
  models(): GalleryModel[] {
    return this.index.models();
  }

  get(id: string): GalleryEntry {
    return this.entryOf(this.record(id));
  }

  async readImage(id: string): Promise<Buffer> {
    this.record(id);
    try {
      return await fs.readFile(path.join(this.dir, id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw fileError(error, 'read', path.join(this.dir, id));
    }
  }

  /** A WebP at most 256 px on its longer side, cached until the image changes. */
  async thumbnail(id: string): Promise<Buffer> {
    const record = this.record(id);
    const cached = path.join(this.thumbnailDir, `${id}.webp`);
    try {
      const stat = await fs.stat(cached);
      if (stat.mtimeMs >= record.mtimeMs) return await fs.readFile(cached);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, 'read', cached);
    }
    const image = await this.readImage(id);
    let thumbnail: Buffer;
    try {
      thumbnail = await sharp(image)
        .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
    } catch (error) {
      throw new EaselError('image_invalid', `Could not make a thumbnail of ${id}: ${(error as Error).message}`, { id });
    }
    await fs.mkdir(this.thumbnailDir, { recursive: true }).catch((error: unknown) => {
      throw fileError(error, 'create', this.thumbnailDir);
    });
    await writeFileAtomic(cached, thumbnail);
    return thumbnail;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /**
   * Encodes 8-bit RGB pixels as a PNG with the parameters embedded and adds it to the gallery under a
   * new name (`2026-11-24_153012_seed123456_00001.png`); an existing file is never replaced.
   */
  save(rgb: Uint8Array, width: number, height: number, meta: ImageMetadata): Promise<GalleryEntry> {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      return Promise.reject(
        new EaselError('invalid_request', `Image size ${width}x${height} is not a positive whole size.`, { width, height }),
      );
    }
    if (rgb.length !== width * height * 3) {
      return Promise.reject(
        new EaselError(
          'invalid_request',
          `Expected ${width * height * 3} bytes of RGB pixels for ${width}x${height}, got ${rgb.length}.`,
          { width, height, bytes: rgb.length },
        ),
      );
    }
    return this.exclusive(async () => {
      const pixels = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
      const encoded = await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
      const png = addPngTextChunks(encoded, {
        [A1111_CHUNK]: formatA1111Parameters(meta),
        [EASEL_CHUNK]: formatEaselMetadata(meta),
      });
      const counter = this.index.ids().reduce((max, id) => Math.max(max, counterOf(id)), 0) + 1;
      const stem = `${timestampForName(this.clock())}_seed${meta.seed}`;
      const file = await writeNewFileAtomic(this.dir, (attempt) => `${stem}_${pad(counter + attempt, 5)}.png`, png, 1000);
      const id = path.basename(file);
      const stat = await fs.stat(file);
      const record: IndexRecord = {
        id,
        createdAt: meta.createdAt,
        width,
        height,
        favourite: false,
        source: 'easel',
        meta,
        size: stat.size,
        mtimeMs: stat.mtimeMs,
      };
      this.index.upsert(record);
      this.indexChanged();
      return this.entryOf(record);
    });
  }

  setFavourite(id: string, on: boolean): Promise<GalleryEntry> {
    return this.exclusive(async () => {
      const record = this.record(id);
      if (on) this.favourites.add(id);
      else this.favourites.delete(id);
      await this.writeFavourites();
      const updated = { ...record, favourite: on };
      this.index.upsert(updated);
      this.indexChanged();
      return this.entryOf(updated);
    });
  }

  /** Moves the image to the gallery's trash; undoDelete(id) brings it back until purgeTrash(). */
  delete(id: string): Promise<void> {
    return this.exclusive(async () => {
      this.record(id);
      await fs.mkdir(this.trashDir, { recursive: true }).catch((error: unknown) => {
        throw fileError(error, 'create', this.trashDir);
      });
      const trashed = path.join(this.trashDir, id);
      // A same-named file already in the trash was deleted earlier; the newer deletion replaces it.
      await fs.rm(trashed, { force: true });
      try {
        await fs.rename(path.join(this.dir, id), trashed);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, 'move to the trash', id);
      }
      await fs.rm(path.join(this.thumbnailDir, `${id}.webp`), { force: true });
      this.index.remove(id);
      this.indexChanged();
    });
  }

  undoDelete(id: string): Promise<GalleryEntry> {
    return this.exclusive(async () => {
      checkId(id);
      const trashed = path.join(this.trashDir, id);
      if (!(await exists(trashed))) {
        throw new EaselError('not_found', `${id} is not in the gallery's trash (it may have been emptied).`, { id });
      }
      if (!(await moveToFreeName(trashed, path.join(this.dir, id)))) {
        throw new EaselError('io', `Cannot restore ${id}: a different image with that name is in the gallery now.`, {
          id,
        });
      }
      const record = await this.readRecord(id);
      this.index.upsert(record);
      this.indexChanged();
      return this.entryOf(record);
    });
  }

  /** Deletes everything in the trash for good; returns how many images went. */
  purgeTrash(): Promise<number> {
    return this.exclusive(async () => {
      let names: string[];
      try {
        names = await fs.readdir(this.trashDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw fileError(error, 'read', this.trashDir);
      }
      await Promise.all(names.map((name) => fs.rm(path.join(this.trashDir, name), { force: true, recursive: true })));
      const before = this.favourites.size;
      for (const name of names) if (!this.index.get(name)) this.favourites.delete(name);
      if (this.favourites.size !== before) await this.writeFavourites();
      return names.filter(isImageName).length;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Keeping the index in step with the folder

  /** Brings the index up to date with the folder: new files read, changed ones re-read, missing ones dropped. */
  refresh(): Promise<GalleryScanReport> {
    return this.exclusive(() => this.scan(false));
  }

  /** Forgets the index and reads every PNG again. */
  rebuild(): Promise<GalleryScanReport> {
    return this.exclusive(() => this.scan(true));
  }

  private async readRecord(id: string): Promise<IndexRecord> {
    const file = path.join(this.dir, id);
    let png: Buffer;
    let size: number;
    let mtimeMs: number;
    try {
      const [data, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
      png = data;
      ({ size, mtimeMs } = stat);
    } catch (error) {
      throw fileError(error, 'read', file);
    }
    const chunks = readPngTextChunks(png);
    const { width, height } = readPngSize(png);
    const easel = readEaselMetadata(chunks);
    const favourite = this.favourites.has(id);
    if (easel) {
      return { id, createdAt: easel.createdAt, width, height, favourite, source: 'easel', meta: easel, size, mtimeMs };
    }
    let parsed: ParsedImageParameters | null = null;
    try {
      parsed = parseImageParameters(chunks);
    } catch (error) {
      if (!(error instanceof EaselError && error.code === 'not_found')) throw error;
    }
    const createdAt = new Date(mtimeMs).toISOString();
    const meta = importedMetadata(parsed, { width, height }, createdAt);
    return { id, createdAt, width, height, favourite, source: parsed?.source ?? 'none', meta, size, mtimeMs };
  }

  private async scan(fromScratch: boolean): Promise<GalleryScanReport> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir)).filter(isImageName);
    } catch (error) {
      throw fileError(error, 'read the gallery folder', this.dir);
    }
    const report: GalleryScanReport = { added: [], updated: [], removed: [], skipped: [] };
    if (fromScratch) {
      this.index.clear();
      this.skipped.clear();
    }
    const present = new Set(names);
    for (const id of this.index.ids()) {
      if (present.has(id)) continue;
      this.index.remove(id);
      report.removed.push(id);
      await fs.rm(path.join(this.thumbnailDir, `${id}.webp`), { force: true });
    }
    for (const id of this.skipped.keys()) if (!present.has(id)) this.skipped.delete(id);

    for (const id of names) {
      let stat;
      try {
        stat = await fs.stat(path.join(this.dir, id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw fileError(error, 'read', path.join(this.dir, id));
      }
      if (!stat.isFile()) continue;
      const known = this.index.get(id);
      const unchanged = (seen: { size: number; mtimeMs: number }) =>
        seen.size === stat.size && seen.mtimeMs === stat.mtimeMs;
      if (known && unchanged(known)) continue;
      const skipped = this.skipped.get(id);
      if (!known && skipped && unchanged(skipped)) {
        report.skipped.push({ id, error: skipped.error });
        continue;
      }
      try {
        const record = await this.readRecord(id);
        this.index.upsert(record);
        this.skipped.delete(id);
        (known ? report.updated : report.added).push(id);
        if (known) await fs.rm(path.join(this.thumbnailDir, `${id}.webp`), { force: true });
      } catch (error) {
        const info = toErrorInfo(error);
        this.skipped.set(id, { size: stat.size, mtimeMs: stat.mtimeMs, error: info });
        if (known) {
          this.index.remove(id);
          report.removed.push(id);
        }
        report.skipped.push({ id, error: info });
      }
    }
    if (fromScratch || report.added.length + report.updated.length + report.removed.length > 0) {
      this.indexChanged();
    }
    return report;
  }

  // ---------------------------------------------------------------------------------------------
  // Persisting the index

  private indexChanged(): void {
    this.indexDirty = true;
    if (this.indexTimer) return;
    this.indexTimer = setTimeout(() => {
      this.indexTimer = null;
      // A failed background write is retried by the next change or by close(), which reports it.
      this.flush().catch(() => undefined);
    }, this.indexWriteDelayMs);
    this.indexTimer.unref();
  }

  /** Writes the index now if it has unsaved changes. */
  async flush(): Promise<void> {
    if (this.indexTimer) {
      clearTimeout(this.indexTimer);
      this.indexTimer = null;
    }
    while (this.indexWrite) await this.indexWrite.catch(() => undefined);
    if (!this.indexDirty) return;
    this.indexDirty = false;
    this.indexWrite = (async () => {
      try {
        await fs.mkdir(path.dirname(this.indexPath), { recursive: true });
        await writeFileAtomic(this.indexPath, this.index.serialize());
      } catch (error) {
        this.indexDirty = true;
        throw fileError(error, 'write the gallery index', this.indexPath);
      } finally {
        this.indexWrite = null;
      }
    })();
    await this.indexWrite;
  }

  /** Waits for pending work and writes the index. */
  async close(): Promise<void> {
    await this.exclusive(() => this.flush());
  }
}
