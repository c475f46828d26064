import fs from 'node:fs/promises';
import path from 'node:path';
import type { ErrorInfo, GalleryItem, GalleryModel, ImageMetadata } from '../../../src-preload/api';
import { EaselError, toErrorInfo } from '../errors';
import { fileError, removeTempFiles, writeNewFileAtomic } from '../fs/atomic';
import { readFavourites, writeFavourites } from './favourites-file';
import { checkImageId, isImageName, newImageNames } from './image-names';
import { readImageRecord } from './image-record';
import { GALLERY_INDEX_FILE, IndexFile } from './index-file';
import { encodePngWithParameters } from './png-encode';
import { GalleryIndex, type IndexRecord, type ListQuery } from './store';
import { Thumbnails } from './thumbnails';
import { Trash } from './trash';

/**
 * The gallery: a folder of PNGs, each carrying its generation parameters (A1111 `parameters` text for
 * other tools, Easel's full ImageMetadata as `easel` JSON), plus caches that can always be rebuilt from
 * the PNGs alone:
 *
 *   <dir>/2026-11-24_153012_seed123456_00001.png   the images (the file name is the entry's id)
 *   <dir>/.easel-index.json                          index of all entries (or `indexPath`)     index-file.ts
 *   <dir>/.easel-favourites.json                     favourite ids                             favourites-file.ts
 *   <dir>/.thumbnails/<id>.webp                      256 px thumbnails (or `thumbnailDir`)     thumbnails.ts
 *   <dir>/.trash/<id>, <dir>/.easel-trash.json       deleted images until purgeTrash()         trash.ts
 *
 * Every file is written atomically. The gallery reads, moves and deletes only the regular PNG files its
 * index holds (links are not followed), and the trash only what it took.
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

function notFound(id: string): EaselError {
  return new EaselError('not_found', `The image ${id} is not in the gallery (it may have been deleted or moved).`, { id });
}

export class Gallery {
  readonly dir: string;
  private readonly favouritesPath: string;
  private readonly clock: () => number;
  private readonly indexFile: IndexFile;
  private readonly thumbnails: Thumbnails;
  private readonly trash: Trash;

  private index = new GalleryIndex();
  private favourites = new Set<string>();
  /** Damaged files seen by the last scan, with the stat they had, so unchanged ones are not re-read. */
  private readonly skipped = new Map<string, { size: number; mtimeMs: number; error: ErrorInfo }>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: GalleryOptions) {
    this.dir = path.resolve(options.dir);
    this.favouritesPath = path.join(this.dir, '.easel-favourites.json');
    this.clock = options.clock ?? Date.now;
    this.indexFile = new IndexFile(
      options.indexPath ?? path.join(this.dir, GALLERY_INDEX_FILE),
      () => this.index.serialize(),
      options.indexWriteDelayMs ?? 250,
    );
    this.thumbnails = new Thumbnails(options.thumbnailDir ?? path.join(this.dir, '.thumbnails'));
    this.trash = new Trash(path.join(this.dir, '.trash'), path.join(this.dir, '.easel-trash.json'));
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
    for (const folder of new Set([this.dir, path.dirname(this.indexFile.file), this.thumbnails.dir])) {
      await removeTempFiles(folder);
    }
    this.favourites = await readFavourites(this.favouritesPath);
    await this.trash.load();
    const index = await this.indexFile.read();
    if (index) {
      this.index = index;
      await this.scan(false);
    } else {
      await this.scan(true);
    }
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
    checkImageId(id);
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
    const file = path.join(this.dir, id);
    try {
      const stat = await fs.lstat(file);
      if (!stat.isFile()) {
        throw new EaselError(
          'forbidden',
          `${id} in the gallery is not an image file (it is a link or a folder), so Easel does not open it.`,
          { id },
        );
      }
      return await fs.readFile(file);
    } catch (error) {
      if (error instanceof EaselError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(id);
      throw fileError(error, 'read', file);
    }
  }

  /** A WebP at most 256 px on its longer side, cached until the image changes. */
  async thumbnail(id: string): Promise<Buffer> {
    const record = this.record(id);
    return this.thumbnails.get(id, record.mtimeMs, () => this.readImage(id));
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /**
   * Encodes 8-bit RGB pixels as a PNG with the parameters embedded and adds it to the gallery under a
   * new name (`2026-11-24_153012_seed123456_00001.png`); an existing file is never replaced.
   */
  save(rgb: Uint8Array, width: number, height: number, meta: ImageMetadata): Promise<GalleryEntry> {
    return this.exclusive(async () => {
      const png = await encodePngWithParameters({ rgb, width, height }, meta);
      const nameFor = newImageNames(this.index.ids(), this.clock(), meta.seed);
      const file = await writeNewFileAtomic(this.dir, nameFor, png, 1000);
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
      this.indexFile.changed();
      return this.entryOf(record);
    });
  }

  setFavourite(id: string, on: boolean): Promise<GalleryEntry> {
    return this.exclusive(async () => {
      const record = this.record(id);
      if (on) this.favourites.add(id);
      else this.favourites.delete(id);
      await writeFavourites(this.favouritesPath, this.favourites);
      const updated = { ...record, favourite: on };
      this.index.upsert(updated);
      this.indexFile.changed();
      return this.entryOf(updated);
    });
  }

  /** Moves the image to the gallery's trash; undoDelete(id) brings it back until purgeTrash(). */
  delete(id: string): Promise<void> {
    return this.exclusive(async () => {
      this.record(id);
      await this.trash.put(path.join(this.dir, id), id);
      await this.thumbnails.forget(id);
      this.index.remove(id);
      this.indexFile.changed();
    });
  }

  undoDelete(id: string): Promise<GalleryEntry> {
    return this.exclusive(async () => {
      checkImageId(id);
      await this.trash.restore(id, path.join(this.dir, id));
      const record = await readImageRecord(this.dir, id, this.favourites.has(id));
      this.index.upsert(record);
      this.indexFile.changed();
      return this.entryOf(record);
    });
  }

  /** Deletes everything the trash took for good; returns how many images went. */
  purgeTrash(): Promise<number> {
    return this.exclusive(async () => {
      const purged = await this.trash.purge();
      const before = this.favourites.size;
      for (const id of purged) if (!this.index.get(id)) this.favourites.delete(id);
      if (this.favourites.size !== before) await writeFavourites(this.favouritesPath, this.favourites);
      return purged.length;
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
    const regular = new Map<string, { size: number; mtimeMs: number }>();
    for (const id of names) {
      try {
        // lstat: a link named like an image is not the gallery's file, whatever it points at.
        const stat = await fs.lstat(path.join(this.dir, id));
        if (stat.isFile()) regular.set(id, { size: stat.size, mtimeMs: stat.mtimeMs });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, 'read', path.join(this.dir, id));
      }
    }
    for (const id of this.index.ids()) {
      if (regular.has(id)) continue;
      this.index.remove(id);
      report.removed.push(id);
      await this.thumbnails.forget(id);
    }
    for (const id of this.skipped.keys()) if (!regular.has(id)) this.skipped.delete(id);

    for (const [id, stat] of regular) {
      const known = this.index.get(id);
      const unchanged = (seen: { size: number; mtimeMs: number }) => seen.size === stat.size && seen.mtimeMs === stat.mtimeMs;
      if (known && unchanged(known)) continue;
      const skipped = this.skipped.get(id);
      if (!known && skipped && unchanged(skipped)) {
        report.skipped.push({ id, error: skipped.error });
        continue;
      }
      try {
        const record = await readImageRecord(this.dir, id, this.favourites.has(id));
        this.index.upsert(record);
        this.skipped.delete(id);
        (known ? report.updated : report.added).push(id);
        if (known) await this.thumbnails.forget(id);
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
      this.indexFile.changed();
    }
    return report;
  }

  /** Waits for pending work and writes the index. */
  async close(): Promise<void> {
    await this.exclusive(() => this.indexFile.flush());
  }
}
