import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { EaselError } from '../errors';
import { fileError, writeFileAtomic } from '../fs/atomic';

const THUMBNAIL_SIZE = 256;

/** The thumbnail cache (`.thumbnails/<id>.webp`): WebPs at most 256 px on the longer side, made on demand. */
export class Thumbnails {
  constructor(readonly dir: string) {}

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.webp`);
  }

  /** The cached thumbnail when it is newer than the image, else a new one made from `readImage()`. */
  async get(id: string, imageMtimeMs: number, readImage: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.fileOf(id);
    try {
      // lstat: a link planted in the cache is not followed, just replaced.
      const stat = await fs.lstat(cached);
      if (stat.isFile() && stat.mtimeMs >= imageMtimeMs) return await fs.readFile(cached);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, 'read', cached);
    }
    const image = await readImage();
    let thumbnail: Buffer;
    try {
      thumbnail = await sharp(image)
        .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer();
    } catch (error) {
      throw new EaselError('image_invalid', `Could not make a thumbnail of ${id}: ${(error as Error).message}`, { id });
    }
    await fs.mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      throw fileError(error, 'create', this.dir);
    });
    await writeFileAtomic(cached, thumbnail);
    return thumbnail;
  }

  async forget(id: string): Promise<void> {
    await fs.rm(this.fileOf(id), { force: true });
  }
}
