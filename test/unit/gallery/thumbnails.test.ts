import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageMeta } from './fixtures';
import { HEIGHT, useGallerySession, WIDTH } from './gallery-session';

const session = useGallerySession();
const openGallery = session.open;
const save = session.save;

describe('thumbnails', () => {
  it('serves the image bytes and a cached WebP thumbnail of at most 256 px', async () => {
    const gallery = await openGallery();
    const big = new Uint8Array(600 * 300 * 3).fill(128);
    const entry = await gallery.save(big, 600, 300, imageMeta({ width: 600, height: 300 }));
    expect(Buffer.compare(await gallery.readImage(entry.id), await fs.readFile(entry.file))).toBe(0);

    const thumbnail = await gallery.thumbnail(entry.id);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 });
    const cached = path.join(session.dir, '.thumbnails', `${entry.id}.webp`);
    expect(Buffer.compare(await fs.readFile(cached), thumbnail)).toBe(0);
    await fs.writeFile(cached, 'cache marker');
    expect((await gallery.thumbnail(entry.id)).toString()).toBe('cache marker');

    const small = await save(gallery);
    expect(await sharp(await gallery.thumbnail(small.id)).metadata()).toMatchObject({ width: WIDTH, height: HEIGHT });
  });

  it('does not follow a link planted in the cache: it makes the thumbnail again', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    const secret = path.join(session.dir, '..', `${path.basename(session.dir)}-secret.txt`);
    await fs.writeFile(secret, 'private');
    try {
      await fs.mkdir(path.join(session.dir, '.thumbnails'), { recursive: true });
      const cached = path.join(session.dir, '.thumbnails', `${entry.id}.webp`);
      await fs.symlink(secret, cached);
      const thumbnail = await gallery.thumbnail(entry.id);
      expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: WIDTH, height: HEIGHT });
      expect((await fs.lstat(cached)).isFile()).toBe(true);
      expect(await fs.readFile(secret, 'utf8')).toBe('private');
    } finally {
      await fs.rm(secret, { force: true });
    }
  });
});
