import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src-main/core/models/catalog';
import { readManifest, writeManifest } from '../../../src-main/core/models/manifest';
import { ModelStore } from '../../../src-main/core/models/store';
import { onnxBytes, writeModelFolder } from './model-folder-files';
import { caught } from '../../helpers/errors';

let root: string;
let modelsDir: string;
let builtinDir: string;

function store(): ModelStore {
  return new ModelStore({ modelsDir, builtinModelsDir: builtinDir });
}

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-store-'));
  modelsDir = path.join(root, 'models');
  builtinDir = path.join(root, 'resources/models');
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('ModelStore', () => {
  it('lists the built-in demo read-only, complete when its files are there', async () => {
    expect((await store().list()).find((m) => m.id === 'easel-demo')?.state).toBe('missing-files');
    const demoDir = path.join(builtinDir, 'easel-demo');
    await writeModelFolder(demoDir, {
      'tokenizer/special_tokens_map.json': '{}',
      'tokenizer/tokenizer_config.json': '{}',
      'vae_encoder/model.onnx': onnxBytes(),
    });
    const demo = (await store().list()).find((m) => m.id === 'easel-demo');
    expect(demo).toMatchObject({ state: 'complete', readOnly: true, origin: 'builtin', family: 'demo', dir: demoDir });
    const error = await caught(store().remove('easel-demo'));
    expect(error.code).toBe('forbidden');
    expect(existsSync(demoDir)).toBe(true);
  });

  it('imports a folder by copying it, then lists, verifies and removes it', async () => {
    const source = path.join(root, 'My Model');
    await writeModelFolder(source);
    const progress: number[] = [];
    const imported = await store().importFolder(source, { onProgress: (done) => progress.push(done) });
    expect(imported).toMatchObject({ id: 'my-model', state: 'complete', origin: 'import-copy', family: 'sd15' });
    expect(imported.dir).toBe(path.join(modelsDir, 'my-model'));
    expect(await fsp.readFile(path.join(imported.dir, 'unet/weights.pb'))).toEqual(Buffer.alloc(16, 1));
    expect(progress.length).toBeGreaterThan(0);

    const listed = await store().list();
    expect(listed.map((m) => m.id)).toContain('my-model');
    expect(await store().verify('my-model')).toMatchObject({ ok: true, problems: [] });

    // Same size, different bytes: only the checksum can tell.
    await fsp.writeFile(path.join(imported.dir, 'unet/weights.pb'), Buffer.alloc(16, 2));
    const report = await store().verify('my-model');
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ file: 'unet/weights.pb', problem: 'sha256' }]);
    expect((await store().get('my-model'))?.state).toBe('corrupt');

    await fsp.rm(path.join(imported.dir, 'vae_decoder/model.onnx'));
    expect((await store().verify('my-model')).problems).toContainEqual({ file: 'vae_decoder/model.onnx', problem: 'missing' });

    await store().remove('my-model');
    expect(existsSync(imported.dir)).toBe(false);
    expect((await store().list()).map((m) => m.id)).not.toContain('my-model');
    expect(existsSync(source)).toBe(true);
  });

  it('imports by reference without copying, and notices when the source folder goes away', async () => {
    const source = path.join(root, 'elsewhere');
    await writeModelFolder(source, {
      'model_index.json': JSON.stringify({ _class_name: 'ORTStableDiffusionXLPipeline', text_encoder_2: ['x', 'y'] }),
      'tokenizer_2/vocab.json': '{}',
      'tokenizer_2/merges.txt': '',
      'text_encoder_2/model.onnx': onnxBytes({ externalLocation: 'model.onnx_data' }),
      'text_encoder_2/model.onnx_data': Buffer.alloc(16),
    });
    const imported = await store().importFolder(source, { mode: 'reference', id: 'xl' });
    expect(imported).toMatchObject({ id: 'xl', dir: source, origin: 'import-reference', family: 'sdxl', state: 'complete' });
    expect(existsSync(path.join(modelsDir, 'xl/unet'))).toBe(false);

    await fsp.rename(source, `${source}-moved`);
    expect((await store().get('xl'))?.state).toBe('missing-files');
    await store().remove('xl');
    expect(existsSync(`${source}-moved/unet/model.onnx`)).toBe(true);
  });

  it('verify reads a referenced folder afresh: a part rewritten in place or removed is caught', async () => {
    const source = path.join(root, 'referenced');
    await writeModelFolder(source);
    await store().importFolder(source, { mode: 'reference', id: 'ref' });
    expect(await store().verify('ref')).toMatchObject({ ok: true, problems: [] });

    // Same size, so the manifest's sizes cannot tell; a reference import has no checksums to compare.
    const unet = path.join(source, 'unet/model.onnx');
    await fsp.writeFile(unet, Buffer.alloc((await fsp.stat(unet)).size, 0xff));
    const report = await store().verify('ref');
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ file: 'unet/model.onnx', problem: 'unreadable', message: expect.stringMatching(/is not a valid ONNX file/) }]);

    await fsp.writeFile(unet, onnxBytes({ externalLocation: 'weights.pb' }));
    expect(await store().verify('ref')).toMatchObject({ ok: true, problems: [] });
    await fsp.rm(path.join(source, 'tokenizer/merges.txt'));
    expect((await store().verify('ref')).problems).toContainEqual({ file: 'tokenizer/merges.txt', problem: 'missing' });
  });

  it.each([
    ['a pickle checkpoint', { 'model.ckpt': 'x' }, /model\.ckpt can run code/],
    ['PyTorch .bin weights', { 'unet/diffusion_pytorch_model.bin': 'x' }, /diffusion_pytorch_model\.bin/],
    ['a custom-op library', { 'unet/custom_ops.so': 'x' }, /custom_ops\.so/],
    ['a .pth file', { 'extra.pth': 'x' }, /extra\.pth/],
    ['external data outside the folder', { 'unet/model.onnx': onnxBytes({ externalLocation: '../../secret.bin' }) }, /outside the model folder/],
    ['an absolute external-data path', { 'unet/model.onnx': onnxBytes({ externalLocation: '/etc/passwd', inConstantNode: true }) }, /outside the model folder/],
  ])('refuses %s with a reason', async (_what, extra, reason) => {
    const source = path.join(root, 'unsafe');
    await writeModelFolder(source, extra as Record<string, Buffer | string>);
    const error = await caught(store().importFolder(source));
    expect(error.code).toBe('model_unsafe');
    expect(error.message).toMatch(reason);
    expect(existsSync(modelsDir) ? await fsp.readdir(modelsDir) : []).toEqual([]);
  });

  it('refuses a link that leads out of the folder', async () => {
    const source = path.join(root, 'linked');
    await writeModelFolder(source);
    await fsp.writeFile(path.join(root, 'outside.txt'), 'x');
    await fsp.symlink(path.join(root, 'outside.txt'), path.join(source, 'tokenizer/extra.txt'));
    const error = await caught(store().importFolder(source));
    expect(error.code).toBe('model_unsafe');
    expect(error.message).toMatch(/tokenizer\/extra\.txt is a link/);
  });

  it('refuses folders that are not in the ONNX layout, saying what is missing', async () => {
    const source = path.join(root, 'half');
    await writeModelFolder(source);
    await fsp.rm(path.join(source, 'unet'), { recursive: true });
    const missing = await caught(store().importFolder(source));
    expect(missing.code).toBe('model_invalid');
    expect(missing.message).toMatch(/missing files .*unet\/model\.onnx/);

    await fsp.writeFile(path.join(source, 'model_index.json'), '{not json');
    expect((await caught(store().importFolder(source))).message).toMatch(/model_index\.json .* not valid JSON/);

    await fsp.rm(path.join(source, 'model_index.json'));
    expect((await caught(store().importFolder(source))).message).toMatch(/no model_index\.json/);
  });

  it('refuses an import whose external data file is absent, and a name already taken', async () => {
    const source = path.join(root, 'sd-turbo');
    await writeModelFolder(source);
    await fsp.rm(path.join(source, 'unet/weights.pb'));
    expect((await caught(store().importFolder(source))).message).toMatch(/needs unet\/weights\.pb/);
    await fsp.writeFile(path.join(source, 'unet/weights.pb'), Buffer.alloc(16));
    expect((await caught(store().importFolder(source))).message).toMatch(/sd-turbo already exists/);
  });

  it('reports a download in progress as partial, with the files still to fetch', async () => {
    const entry = CATALOG.find((e) => e.id === 'sd-turbo');
    const dir = path.join(modelsDir, 'sd-turbo');
    await fsp.mkdir(dir, { recursive: true });
    expect((await store().get('sd-turbo'))?.state).toBe('partial');
    await fsp.writeFile(path.join(dir, 'model_index.json'), '{}');
    await writeManifest(dir, {
      version: 1,
      id: 'sd-turbo',
      displayName: 'SD-Turbo',
      family: 'sd-turbo',
      source: { kind: 'huggingface', repo: 'jdp8/sd-turbo-onnx', revision: 'main', endpoint: 'https://huggingface.co' },
      expectedFiles: entry?.files.map((f) => f.path) ?? [],
      files: { 'model_index.json': { bytes: 2 } },
      updatedAt: '',
    });
    const model = await store().get('sd-turbo');
    expect(model?.state).toBe('partial');
    expect(model?.missingFiles).toContain('unet/model.onnx');
    expect(model?.catalog?.id).toBe('sd-turbo');
    expect((await readManifest(dir))?.files['model_index.json']).toEqual({ bytes: 2 });
  });
});

describe('ModelStore.removeLeftovers', () => {
  it('deletes what a crashed remove or import left behind, and nothing else', async () => {
    for (const name of ['.removing-sd-turbo-1a2b', '.importing-mine-3c4d', 'kept-model']) {
      await fsp.mkdir(path.join(modelsDir, name, 'unet'), { recursive: true });
    }
    expect((await store().removeLeftovers()).sort()).toEqual(['.importing-mine-3c4d', '.removing-sd-turbo-1a2b']);
    expect((await fsp.readdir(modelsDir)).filter((name) => !name.startsWith('.easel'))).toContain('kept-model');
    expect(await fsp.readdir(modelsDir)).not.toContain('.removing-sd-turbo-1a2b');
  });
});
