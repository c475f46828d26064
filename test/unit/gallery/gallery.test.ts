import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { formatA1111Parameters, parseA1111Parameters, parseImageParameters } from '../../../src-main/core/gallery/a1111';
import { TEMP_PREFIX } from '../../../src-main/core/fs/atomic';
import { readEaselMetadata } from '../../../src-main/core/gallery/easel-metadata';
import type { Gallery } from '../../../src-main/core/gallery/gallery';
import { addPngTextChunks, readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { A1111_V110, COMFYUI_DEFAULT_PROMPT, imageMeta } from './fixtures';
import { expectCode, HEIGHT, NOW, pixels, useGallerySession, WIDTH } from './gallery-session';

const session = useGallerySession();
const openGallery = session.open;
const save = session.save;

async function foreignPng(chunks: Record<string, string>): Promise<Buffer> {
  const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#336699' } }).png().toBuffer();
  return Object.keys(chunks).length > 0 ? addPngTextChunks(png, chunks) : png;
}

describe('save', () => {
  it('writes a PNG with A1111 parameters and the full metadata, named by time, seed and counter', async () => {
    const gallery = await openGallery();
    const meta = imageMeta({ prompt: 'a lighthouse,\nsecond line', seed: '18446744073709551615' });
    const entry = await gallery.save(pixels(1), WIDTH, HEIGHT, meta);

    const d = new Date(NOW);
    const two = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
    expect(entry.id).toBe(`${stamp}_seed18446744073709551615_00001.png`);
    expect(entry).toMatchObject({ file: path.join(session.dir, entry.id), width: WIDTH, height: HEIGHT, favourite: false });
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
    await fs.writeFile(path.join(session.dir, squatter), 'written by another program');
    const second = await save(gallery, {}, 2);
    expect(second.id).toBe(first.id.replace('_00001.png', '_00003.png'));
    expect(await fs.readFile(path.join(session.dir, squatter), 'utf8')).toBe('written by another program');
    const names = (await fs.readdir(session.dir)).filter((name) => !name.startsWith('.'));
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

describe('crash safety', () => {
  it('clears temp files of a process that died before its rename, and lists no damaged file', async () => {
    const gallery = await openGallery();
    const kept = await save(gallery);
    await gallery.close();

    // A separate process starts an atomic write, then dies before the rename.
    const script =
      `require('fs').writeFileSync(require('path').join(${JSON.stringify(session.dir)}, '${TEMP_PREFIX}' + process.pid + '-x-a.png'),` +
      ` Buffer.from([0x89, 0x50, 0x4e, 0x47])); process.exit(1);`;
    expect(() => execFileSync(process.execPath, ['-e', script], { stdio: 'ignore' })).toThrow();
    // A truncated PNG at a final name (copied in by hand, or written by a tool without atomic writes).
    const whole = await fs.readFile(kept.file);
    await fs.writeFile(path.join(session.dir, 'truncated.png'), whole.subarray(0, Math.floor(whole.length / 2)));
    expect((await fs.readdir(session.dir)).some((name) => name.startsWith(TEMP_PREFIX))).toBe(true);

    const reopened = await openGallery();
    expect((await fs.readdir(session.dir)).some((name) => name.startsWith(TEMP_PREFIX))).toBe(false);
    expect(reopened.list().items.map((entry) => entry.id)).toEqual([kept.id]);
    const report = await reopened.refresh();
    expect(report.skipped).toEqual([
      { id: 'truncated.png', error: expect.objectContaining({ code: 'image_invalid' }) as unknown },
    ]);
    // Nothing is deleted: the damaged file stays for the person to deal with.
    expect((await fs.stat(path.join(session.dir, 'truncated.png'))).size).toBe(Math.floor(whole.length / 2));
  });

  it('leaves the temp file of a live writer alone', async () => {
    const live = path.join(session.dir, `${TEMP_PREFIX}${process.pid}-busy-b.png`);
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

    await fs.writeFile(path.join(session.dir, 'from-a1111.png'), await foreignPng({ parameters: A1111_V110 }));
    await fs.writeFile(path.join(session.dir, 'from-comfyui.png'), await foreignPng({ prompt: COMFYUI_DEFAULT_PROMPT }));
    await fs.writeFile(path.join(session.dir, 'bare.png'), await foreignPng({}));
    await fs.writeFile(path.join(session.dir, 'notes.txt'), 'not an image');
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
});

describe('only the files its index holds', () => {
  it('lists no link and reads, moves or deletes no file outside the gallery', async () => {
    const outside = await fs.mkdtemp(path.join(path.dirname(session.dir), 'easel-outside-'));
    try {
      const privatePng = path.join(outside, 'private.png');
      await fs.writeFile(privatePng, await foreignPng({ parameters: A1111_V110 }));
      await fs.symlink(privatePng, path.join(session.dir, 'linked.png'));
      await fs.symlink(outside, path.join(session.dir, 'folder.png'));

      const gallery = await openGallery();
      expect(gallery.list().total).toBe(0);
      expect((await gallery.refresh()).added).toEqual([]);
      for (const id of ['linked.png', 'folder.png', '../easel-outside/private.png', privatePng]) {
        const refusal = { code: expect.stringMatching(/^(not_found|invalid_request)$/) as unknown };
        await expect(gallery.readImage(id)).rejects.toMatchObject(refusal);
        await expect(gallery.delete(id)).rejects.toMatchObject(refusal);
      }

      // An image the gallery holds, swapped for a link afterwards, is not followed either.
      const entry = await save(gallery);
      await fs.rm(entry.file);
      await fs.symlink(privatePng, entry.file);
      const refused = await expectCode(gallery.readImage(entry.id), 'forbidden');
      expect(refused.message).toBe(`${entry.id} in the gallery is not an image file (it is a link or a folder), so Easel does not open it.`);
      await gallery.delete(entry.id);
      await gallery.purgeTrash();
      expect((await fs.readFile(privatePng)).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});
