import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GalleryService } from '../../../src-main/core/gallery/gallery-service';
import { expectCode, useGallerySession } from './gallery-session';
import { imageMeta } from './fixtures';

const session = useGallerySession();
const openGallery = session.open;
const save = session.save;

describe('delete, undo and trash', () => {
  it('moves a deleted image to the trash and restores it with its favourite mark', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    await gallery.setFavourite(entry.id, true);
    await gallery.thumbnail(entry.id);
    await gallery.delete(entry.id);

    expect(gallery.list().total).toBe(0);
    await expectCode(() => gallery.get(entry.id), 'not_found');
    await expect(fs.access(entry.file)).rejects.toThrow();
    await fs.access(path.join(session.dir, '.trash', entry.id));
    // The trash is not the gallery: a refresh does not bring it back.
    expect((await gallery.refresh()).added).toEqual([]);

    const restored = await gallery.undoDelete(entry.id);
    expect(restored).toEqual({ ...entry, favourite: true });
    expect(gallery.list({ favourite: true }).items.map((item) => item.id)).toEqual([entry.id]);
  });

  it('forgets purged images for good', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    await gallery.setFavourite(entry.id, true);
    await gallery.delete(entry.id);
    expect(await gallery.purgeTrash()).toBe(1);
    await expectCode(gallery.undoDelete(entry.id), 'not_found');
    const favourites = JSON.parse(await fs.readFile(path.join(session.dir, '.easel-favourites.json'), 'utf8')) as {
      favourites: string[];
    };
    expect(favourites.favourites).toEqual([]);
    expect(await gallery.purgeTrash()).toBe(0);
  });

  it('rejects ids that are not gallery file names', async () => {
    const gallery = await openGallery();
    for (const id of ['../outside.png', 'sub/dir.png', '.easel-index.json', 'image.jpg', '']) {
      await expectCode(gallery.delete(id), 'invalid_request');
      await expectCode(gallery.readImage(id), 'invalid_request');
    }
    await expectCode(gallery.readImage('missing.png'), 'not_found');
  });
});

describe('what the trash touches', () => {
  it('restores and deletes only what it took: a .trash folder that was there before is left alone', async () => {
    const trash = path.join(session.dir, '.trash');
    await fs.mkdir(trash);
    await fs.writeFile(path.join(trash, 'holiday.png'), 'a file someone keeps here');
    await fs.writeFile(path.join(trash, 'notes.txt'), 'also theirs');

    const gallery = await openGallery();
    const entry = await save(gallery);
    await gallery.delete(entry.id);
    await expectCode(gallery.undoDelete('holiday.png'), 'not_found');
    expect(await gallery.purgeTrash()).toBe(1);
    expect((await fs.readdir(trash)).sort()).toEqual(['holiday.png', 'notes.txt']);
    expect(await fs.readFile(path.join(trash, 'holiday.png'), 'utf8')).toBe('a file someone keeps here');

    // The service empties earlier runs' trash at open: still only what Easel put there.
    const next = new GalleryService({ dir: async () => session.dir, onChange: () => undefined });
    const item = await next.save(new Uint8Array(8 * 8 * 3).fill(128), 8, 8, imageMeta());
    await next.delete(item.id);
    await next.close();
    const reopened = new GalleryService({ dir: async () => session.dir, onChange: () => undefined });
    await reopened.list({});
    await reopened.close();
    expect((await fs.readdir(trash)).sort()).toEqual(['holiday.png', 'notes.txt']);
  });

  it('will not replace a file in .trash that it did not put there', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    await fs.mkdir(path.join(session.dir, '.trash'));
    await fs.writeFile(path.join(session.dir, '.trash', entry.id), 'not the gallery image');
    const error = await expectCode(gallery.delete(entry.id), 'io');
    expect(error.message).toMatch(/holds a file of that name that Easel did not put there/);
    expect(gallery.get(entry.id)).toEqual(entry);
    expect(await fs.readFile(path.join(session.dir, '.trash', entry.id), 'utf8')).toBe('not the gallery image');
  });
});
