import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageMetadata } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import { formatA1111Parameters, parseA1111Parameters, parseImageParameters } from '../../../src-main/core/gallery/a1111';
import { TEMP_PREFIX } from '../../../src-main/core/fs/atomic';
import { readEaselMetadata } from '../../../src-main/core/gallery/easel-metadata';
import { Gallery } from '../../../src-main/core/gallery/gallery';
import { addPngTextChunks, readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { A1111_V110, COMFYUI_DEFAULT_PROMPT, imageMeta } from './fixtures';

const WIDTH = 64;
const HEIGHT = 48;
const NOW = Date.parse('2026-11-24T15:30:12Z');

function pixels(seed: number): Uint8Array {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + seed * 31) & 0xff;
  return rgb;
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe(code);
    return;
  }
  throw new Error(`expected an EaselError with code ${code}`);
}

let dir: string;
const open: Gallery[] = [];

async function openGallery(clock = () => NOW): Promise<Gallery> {
  const gallery = await Gallery.open({ dir, clock, indexWriteDelayMs: 10 });
  open.push(gallery);
  return gallery;
}

async function save(gallery: Gallery, overrides: Partial<ImageMetadata> = {}, seed = 1) {
  return gallery.save(pixels(seed), WIDTH, HEIGHT, imageMeta(overrides));
}

async function foreignPng(chunks: Record<string, string>): Promise<Buffer> {
  const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#336699' } }).png().toBuffer();
  return Object.keys(chunks).length > 0 ? addPngTextChunks(png, chunks) : png;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-gallery-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((gallery) => gallery.close()));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('save', () => {
  it('writes a PNG with A1111 parameters and the full metadata, named by time, seed and counter', async () => {
    const gallery = await openGallery();
    const meta = imageMeta({ prompt: 'a lighthouse,\nsecond line', seed: '18446744073709551615' });
    const entry = await gallery.save(pixels(1), WIDTH, HEIGHT, meta);

    const d = new Date(NOW);
    const two = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
    expect(entry.id).toBe(`${stamp}_seed18446744073709551615_00001.png`);
    expect(entry).toMatchObject({ file: path.join(dir, entry.id), width: WIDTH, height: HEIGHT, favourite: false });
    expect(entry.meta).toEqual(meta);

    const png = await fs.readFile(entry.file);
    const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: WIDTH, height: HEIGHT, channels: 3 });
    expect(Buffer.compare(decoded.data, Buffer.from(pixels(1)))).toBe(0);

    const chunks = readPngTextChunks(png);
    expect(chunks.parameters).toBe(formatA1111Parameters(meta));
    expect(readEaselMetadata(chunks)).toEqual(meta);
    // What another tool reads from the A1111 text alone matches what Easel recorded.
    expect(parseA1111Parameters(chunks.parameters!)).toMatchObject({
      prompt: meta.prompt,
      negativePrompt: meta.negativePrompt,
      scheduler: meta.scheduler,
      steps: meta.steps,
      guidance: meta.guidance,
      seed: meta.seed,
      width: meta.width,
      height: meta.height,
    });
    expect(parseImageParameters(chunks).source).toBe('easel');
  });

  it('never overwrites: same second and seed get the next counter, and a name taken meanwhile is skipped', async () => {
    const gallery = await openGallery();
    const first = await save(gallery);
    const squatter = first.id.replace('_00001.png', '_00002.png');
    await fs.writeFile(path.join(dir, squatter), 'written by another program');
    const second = await save(gallery, {}, 2);
    expect(second.id).toBe(first.id.replace('_00001.png', '_00003.png'));
    expect(await fs.readFile(path.join(dir, squatter), 'utf8')).toBe('written by another program');
    const names = (await fs.readdir(dir)).filter((name) => !name.startsWith('.'));
    expect(names.sort()).toEqual([first.id, squatter, second.id].sort());
  });

  it('runs concurrent saves one at a time with distinct names', async () => {
    const gallery = await openGallery();
    const entries = await Promise.all([1, 2, 3, 4].map((seed) => save(gallery, {}, seed)));
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(4);
    expect(gallery.list().total).toBe(4);
  });

  it('rejects pixels that do not match the size', async () => {
    const gallery = await openGallery();
    await expectCode(gallery.save(new Uint8Array(10), WIDTH, HEIGHT, imageMeta()), 'invalid_request');
    await expectCode(gallery.save(new Uint8Array(0), 0, 0, imageMeta()), 'invalid_request');
    expect(gallery.list().total).toBe(0);
  });
});

describe('index', () => {
  it('is written on close and read back on open', async () => {
    const gallery = await openGallery();
    const entry = await save(gallery);
    await gallery.close();
    const index = JSON.parse(await fs.readFile(path.join(dir, '.easel-index.json'), 'utf8')) as { entries: unknown[] };
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

    await fs.rm(path.join(dir, '.easel-index.json'));
    await fs.rm(path.join(dir, '.thumbnails'), { recursive: true });
    const rebuilt = await openGallery();
    expect(rebuilt.list().items).toEqual([{ ...b, favourite: true }, a]);
    await rebuilt.close();

    await fs.writeFile(path.join(dir, '.easel-index.json'), '{"format":"easel-gallery-index","version":1,"entr');
    const again = await openGallery();
    expect(again.list().items.map((entry) => entry.id)).toEqual([b.id, a.id]);
    expect(again.get(b.id).favourite).toBe(true);

    const report = await again.rebuild();
    expect(report.added.sort()).toEqual([a.id, b.id].sort());
    expect(again.list().total).toBe(2);
  });
});

describe('crash safety', () => {
  it('clears temp files of a process that died before its rename, and lists no damaged file', async () => {
    const gallery = await openGallery();
    const kept = await save(gallery);
    await gallery.close();

    // A separate process starts an atomic write, then dies before the rename.
    const script =
      `require('fs').writeFileSync(require('path').join(${JSON.stringify(dir)}, '${TEMP_PREFIX}' + process.pid + '-x-a.png'),` +
      ` Buffer.from([0x89, 0x50, 0x4e, 0x47])); process.exit(1);`;
    expect(() => execFileSync(process.execPath, ['-e', script], { stdio: 'ignore' })).toThrow();
    // A truncated PNG at a final name (copied in by hand, or written by a tool without atomic writes).
    const whole = await fs.readFile(kept.file);
    await fs.writeFile(path.join(dir, 'truncated.png'), whole.subarray(0, Math.floor(whole.length / 2)));
    expect((await fs.readdir(dir)).some((name) => name.startsWith(TEMP_PREFIX))).toBe(true);

    const reopened = await openGallery();
    expect((await fs.readdir(dir)).some((name) => name.startsWith(TEMP_PREFIX))).toBe(false);
    expect(reopened.list().items.map((entry) => entry.id)).toEqual([kept.id]);
    const report = await reopened.refresh();
    expect(report.skipped).toEqual([
      { id: 'truncated.png', error: expect.objectContaining({ code: 'image_invalid' }) as unknown },
    ]);
    // Nothing is deleted: the damaged file stays for the person to deal with.
    expect((await fs.stat(path.join(dir, 'truncated.png'))).size).toBe(Math.floor(whole.length / 2));
  });

  it('leaves the temp file of a live writer alone', async () => {
    const live = path.join(dir, `${TEMP_PREFIX}${process.pid}-busy-b.png`);
    await fs.writeFile(live, 'half');
    await openGallery();
    expect(await fs.readFile(live, 'utf8')).toBe('half');
  });
});

describe('refresh', () => {
  it('notices files added, changed and removed by hand', async () => {
    const gallery = await openGallery();
    const ours = await save(gallery, {}, 1);
    const other = await save(gallery, { prompt: 'keep me' }, 2);

    await fs.writeFile(path.join(dir, 'from-a1111.png'), await foreignPng({ parameters: A1111_V110 }));
    await fs.writeFile(path.join(dir, 'from-comfyui.png'), await foreignPng({ prompt: COMFYUI_DEFAULT_PROMPT }));
    await fs.writeFile(path.join(dir, 'bare.png'), await foreignPng({}));
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not an image');
    await fs.rm(ours.file);

    const report = await gallery.refresh();
    expect(report.added.sort()).toEqual(['bare.png', 'from-a1111.png', 'from-comfyui.png']);
    expect(report.removed).toEqual([ours.id]);
    expect(report.skipped).toEqual([]);
    expect(gallery.list().total).toBe(4);

    const a1111 = gallery.get('from-a1111.png');
    expect(a1111).toMatchObject({ source: 'a1111', width: 32, height: 24 });
    expect(a1111.meta).toMatchObject({ scheduler: 'dpmpp-2m-karras', seed: '3456789012', modelName: 'v1-5-pruned-emaonly' });
    expect(gallery.get('from-comfyui.png').meta).toMatchObject({ negativePrompt: 'text, watermark', steps: 20 });
    expect(gallery.get('bare.png')).toMatchObject({ source: 'none', meta: { prompt: '', width: 32, height: 24 } });
    expect(gallery.list({ query: 'fox' }).items.map((entry) => entry.id)).toEqual(['from-a1111.png']);

    // Unchanged files are not reported again; a file rewritten in place is.
    expect(await gallery.refresh()).toEqual({ added: [], updated: [], removed: [], skipped: [] });
    const changed = addPngTextChunks(await fs.readFile(other.file), {
      parameters: 'edited\nSteps: 5, Sampler: Euler, Seed: 9, Size: 64x48',
      easel: 'not json',
    });
    await fs.writeFile(other.file, changed);
    await fs.utimes(other.file, new Date(), new Date(Date.now() + 5000));
    const second = await gallery.refresh();
    expect(second.updated).toEqual([other.id]);
    expect(gallery.get(other.id)).toMatchObject({ source: 'a1111', meta: { prompt: 'edited', seed: '9' } });
  });
});

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
    await fs.access(path.join(dir, '.trash', entry.id));
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
    const favourites = JSON.parse(await fs.readFile(path.join(dir, '.easel-favourites.json'), 'utf8')) as {
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

describe('favourites, search and reading', () => {
  it('filters by words, model, favourite and time, newest first, with paging', async () => {
    const gallery = await openGallery();
    const a = await save(gallery, { prompt: 'A Red Fox in snow', createdAt: '2026-01-01T00:00:00.000Z' }, 1);
    const b = await save(gallery, { prompt: 'red car at night', createdAt: '2026-02-01T00:00:00.000Z', modelId: 'sdxl' }, 2);
    const c = await save(gallery, { prompt: 'a fox and a red kite', createdAt: '2026-03-01T00:00:00.000Z' }, 3);
    await gallery.setFavourite(a.id, true);

    const ids = (query: Parameters<Gallery['list']>[0]) => gallery.list(query).items.map((entry) => entry.id);
    expect(ids({})).toEqual([c.id, b.id, a.id]);
    expect(ids({ query: 'RED fox' })).toEqual([c.id, a.id]);
    expect(ids({ query: 'fox  snow' })).toEqual([a.id]);
    expect(ids({ query: 'lighthouse' })).toEqual([]);
    expect(ids({ modelId: 'sdxl' })).toEqual([b.id]);
    expect(ids({ favourite: true })).toEqual([a.id]);
    expect(ids({ favourite: false })).toEqual([c.id, b.id]);
    expect(ids({ since: '2026-01-15T00:00:00Z', until: '2026-03-01T00:00:00Z' })).toEqual([c.id, b.id]);
    expect(gallery.list({ offset: 1, limit: 1 })).toEqual({ total: 3, items: [gallery.get(b.id)] });
    await expectCode(() => gallery.list({ since: 'last tuesday' }), 'invalid_request');

    await gallery.setFavourite(a.id, false);
    expect(ids({ favourite: true })).toEqual([]);
  });

  it('serves the image bytes and a cached WebP thumbnail of at most 256 px', async () => {
    const gallery = await openGallery();
    const big = new Uint8Array(600 * 300 * 3).fill(128);
    const entry = await gallery.save(big, 600, 300, imageMeta({ width: 600, height: 300 }));
    expect(Buffer.compare(await gallery.readImage(entry.id), await fs.readFile(entry.file))).toBe(0);

    const thumbnail = await gallery.thumbnail(entry.id);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 });
    const cached = path.join(dir, '.thumbnails', `${entry.id}.webp`);
    expect(Buffer.compare(await fs.readFile(cached), thumbnail)).toBe(0);
    await fs.writeFile(cached, 'cache marker');
    expect((await gallery.thumbnail(entry.id)).toString()).toBe('cache marker');

    const small = await save(gallery);
    expect(await sharp(await gallery.thumbnail(small.id)).metadata()).toMatchObject({ width: WIDTH, height: HEIGHT });
  });
});
