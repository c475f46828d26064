import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGallerySession } from './gallery-session';

const session = useGallerySession();
const openGallery = session.open;
const save = session.save;

describe('index', () => {
  it('is written on close and read back on open', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    await gallery.close();
    const index = JSON.parse(await fs.readFile(path.join(session.dir, '.easel-index.json'), 'utf8')) as { entries: unknown[] };
    expect(index.entries).toHaveLength(1);
    const reopened = await openGallery();
    expect(reopened.get(entry.id)).toEqual(entry);
  });

  it('is rebuilt from the PNGs alone, favourites included, when deleted or damaged', async () => {
    const gallery = await openGallery();
    const a = await save(gallery, { prompt: 'first image', createdAt: '2026-11-24T10:00:00.000Z' }, 1);
    const b = await save(gallery, { prompt: 'second image', createdAt: '2026-11-24T11:00:00.000Z' }, 2);
    await gallery.setFavourite(b.id, true);
    await gallery.thumbnail(a.id);
    await gallery.close();

    await fs.rm(path.join(session.dir, '.easel-index.json'));
    await fs.rm(path.join(session.dir, '.thumbnails'), { recursive: true });
    const rebuilt = await openGallery();
    expect(rebuilt.list().items).toEqual([{ ...b, favourite: true }, a]);
    await rebuilt.close();

    await fs.writeFile(path.join(session.dir, '.easel-index.json'), '{"format":"easel-gallery-index","version":1,"entr');
    const again = await openGallery();
    expect(again.list().items.map((entry) => entry.id)).toEqual([b.id, a.id]);
    expect(again.get(b.id).favourite).toBe(true);

    const report = await again.rebuild();
    expect(report.added.sort()).toEqual([a.id, b.id].sort());
    expect(again.list().total).toBe(2);
  });
});

