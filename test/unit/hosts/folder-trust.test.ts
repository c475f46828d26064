import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebHost } from '../../../src-main/hosts/web-server';
import { fixtureModel } from '../../fixtures/models';
import { call } from '../../helpers/raw-http';
import { useTempDirs } from '../../helpers/temp';
import { startTestHost } from '../../helpers/web-host';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

async function start() {
  const dataDir = await tempDir();
  const staticDir = path.join(dataDir, 'static');
  await mkdir(staticDir, { recursive: true });
  const started = await startTestHost(dataDir, staticDir);
  web = started.web;
  return { ...started, dataDir };
}

const body = async (reply: Promise<{ body: string }>) => JSON.parse((await reply).body) as { ok: boolean; value?: never; error?: { code: string; message: string } };

describe('a page reaches only folders Easel owns', () => {
  it('cannot set the gallery or models folder through settings.update', async () => {
    const { web: host } = await start();
    for (const patch of [{ galleryDir: '/etc' }, { modelsDir: '/home' }]) {
      expect(await body(call(host, 'settings.update', patch))).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
  });

  it('moves the gallery only to an empty or Easel folder, after confirmation, and says why not', async () => {
    const { web: host, dataDir } = await start();
    const private_ = path.join(dataDir, 'someone-elses');
    await mkdir(private_);
    await writeFile(path.join(private_, 'holiday.png'), 'private');
    const empty = path.join(dataDir, 'empty');
    await mkdir(empty);

    expect(await body(call(host, 'settings.chooseFolder', { which: 'gallery', path: empty }))).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const refused = await body(call(host, 'settings.chooseFolder', { which: 'gallery', path: private_, confirmed: true }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(refused.error?.message).toContain('not Easel');
    expect(await body(call(host, 'settings.chooseFolder', { which: 'models', path: private_, confirmed: true }))).toMatchObject({ ok: false });

    const moved = await body(call(host, 'settings.chooseFolder', { which: 'gallery', path: empty, confirmed: true }));
    expect(moved).toMatchObject({ ok: true, value: { chosen: true, settings: { galleryDir: empty } } });
    expect(await body(call(host, 'app.info', {}))).toMatchObject({ value: { paths: { gallery: empty } } });

    // Once Easel's index is there, the folder is Easel's and can be chosen again.
    const easelGallery = path.join(dataDir, 'old-gallery');
    await mkdir(easelGallery);
    await writeFile(path.join(easelGallery, '.easel-index.json'), '{}');
    await writeFile(path.join(easelGallery, 'easel-1.png'), 'x');
    expect(await body(call(host, 'settings.chooseFolder', { which: 'gallery', path: easelGallery, confirmed: true }))).toMatchObject({ ok: true });
    expect(await readFile(path.join(private_, 'holiday.png'), 'utf8')).toBe('private');
  });

  it('removes only model folders with Easel’s manifest', async () => {
    const { web: host, dataDir } = await start();
    const own = path.join(dataDir, 'models', 'sd-turbo');
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, 'my-notes.txt'), 'mine');
    const reply = await body(call(host, 'models.remove', { id: 'sd-turbo' }));
    expect(reply).toMatchObject({ ok: false });
    expect(await readFile(path.join(own, 'my-notes.txt'), 'utf8')).toBe('mine');
  });

  it('imports only a model folder, refusing any other folder before reading below its top level', async () => {
    const { web: host, dataDir } = await start();
    const notAModel = path.join(dataDir, 'etc-like');
    await mkdir(path.join(notAModel, 'ssh'), { recursive: true });
    await writeFile(path.join(notAModel, 'ssh', 'id_secret.bin'), 'key');
    await writeFile(path.join(notAModel, 'passwd'), 'root');
    const refused = await body(call(host, 'models.import', { path: notAModel, mode: 'reference' }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'model_invalid' } });
    expect(refused.error?.message).toContain('model_index.json');
    expect(refused.error?.message).not.toMatch(/passwd|id_secret|ssh/);

    const model = path.join(dataDir, 'my-model');
    await cp(await fixtureModel('sd15-optimum'), model, { recursive: true });
    expect(await body(call(host, 'models.import', { path: model, mode: 'reference' }))).toMatchObject({ ok: true });
    expect(await readdir(path.join(dataDir, 'models'))).toContain('my-model');
  });
});
