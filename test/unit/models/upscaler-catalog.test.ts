import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { runUpscaleCommand } from '../../../src-main/cli/upscale';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { type CatalogEntry, findCatalogEntry } from '../../../src-main/core/models/catalog';
import { ModelsService } from '../../../src-main/core/models/models-service';
import { upscaleRgb } from '../../../src-main/core/upscale/upscale-image';
import { settingsSchema, type ModelSummary } from '../../../src-preload/api';
import { FakeHub } from '../../fixtures/hub/fake-hub';
import { SeededRandom } from '../../fixtures/onnx/graph';
import { buildUpscaler } from '../../fixtures/onnx/upscaler';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

/**
 * A local hub serving a tiny upscaler in the layout of a catalog entry's repository (its repo, commit and file
 * name), and that entry with the fixture's size and SHA-256 in place of the real file's: the tiny model stands in
 * for the 67 MB one, everything else is as the catalog says.
 */
async function servedAs(id: string, content: Buffer, pinned: 'fixture' | 'catalog' = 'fixture') {
  const real = findCatalogEntry(id)!;
  if (real.source.kind !== 'huggingface') throw new Error(`${id} is not a hub entry`);
  const file = real.files[0]!;
  hub = await new FakeHub([{ path: file.path, content, lfs: true }], { repo: real.source.repo, revision: real.source.revision }).start();
  const sha256 = createHash('sha256').update(content).digest('hex');
  const entry: CatalogEntry =
    pinned === 'catalog'
      ? { ...real, files: [{ ...file, approxBytes: content.length, bytes: content.length }] }
      : { ...real, files: [{ ...file, approxBytes: content.length, bytes: content.length, sha256 }], approxTotalBytes: content.length };
  const modelsDir = await tempDir();
  const service = new ModelsService({
    modelsDir: async () => modelsDir,
    builtinModelsDir: path.resolve(__dirname, '../../../resources/models'),
    settings: async () => settingsSchema.parse({ hubEndpoint: hub!.hubUrl }),
    env: {},
    onChange: () => undefined,
    catalog: [entry, findCatalogEntry('esrgan-slim-x2')!, findCatalogEntry('sd-turbo')!],
    downloaderOptions: { stallTimeoutMs: 2_000, retryBaseDelayMs: 10, progressIntervalMs: 0 },
  });
  return { service, modelsDir, hub, entry };
}

async function settles(service: ModelsService, id: string): Promise<ModelSummary> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const model = await service.get(id);
    if (model.state === 'installed' || model.state === 'failed') return model;
    if (Date.now() > deadline) throw new Error(`${id} stayed ${model.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function noise(width: number, height: number) {
  const random = new SeededRandom(21);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor((random.next() + 1) * 127.5)), width, height };
}

describe('upscalers in the catalog', () => {
  it('downloads Real-ESRGAN x4plus from its repository, verifies it, lists it as a 4× upscaler and upscales with its fixed tile', async () => {
    const { service, modelsDir } = await servedAs('real-esrgan-x4plus', Buffer.from(buildUpscaler(4, 'x4plus', 16).model));
    expect(await service.get('real-esrgan-x4plus')).toMatchObject({ state: 'available', family: 'upscaler', upscaleFactor: 4, origin: 'catalog' });
    await service.download('real-esrgan-x4plus');
    expect((await settles(service, 'real-esrgan-x4plus')).state).toBe('installed');
    const requested = hub!.requests.filter((request) => request.server === 'hub' && request.method === 'GET').map((request) => request.url);
    expect(requested).toContain('/qualcomm/Real-ESRGAN-x4plus/resolve/6a7e0c049f123d9f1c81a567c0442cfd3fedf011/Real-ESRGAN-x4plus.onnx');
    expect(await service.verify('real-esrgan-x4plus')).toEqual({ id: 'real-esrgan-x4plus', ok: true, problems: [] });

    const listed = await service.list();
    expect(listed.map((model) => [model.id, model.state, model.family, model.upscaleFactor])).toEqual([
      ['real-esrgan-x4plus', 'installed', 'upscaler', 4],
      ['esrgan-slim-x2', 'installed', 'upscaler', 2],
      ['sd-turbo', 'available', 'sd-turbo', null],
    ]);

    const model = await service.resolveUpscaler('real-esrgan-x4plus');
    expect(model).toEqual({ dir: path.join(modelsDir, 'real-esrgan-x4plus'), name: 'Real-ESRGAN x4plus' });
    const tiles: number[] = [];
    const result = await upscaleRgb(noise(40, 16), 4, model, { onTile: (done) => tiles.push(done) });
    expect([result.image.width, result.image.height, result.upscaler]).toEqual([160, 64, 'Real-ESRGAN x4plus']);
    // The export's 16×16 input, tiled with 8 px shared: 4 columns × 1 row.
    expect(tiles).toEqual([1, 2, 3, 4]);
    await expect(service.resolveForGeneration('real-esrgan-x4plus')).rejects.toThrow(/is an upscaler/);
  });

  it('upscales from the CLI with the anime upscaler by its catalog id, 2× from a 4× model', async () => {
    const { service } = await servedAs('real-esrgan-x4plus-anime', Buffer.from(buildUpscaler(4, 'anime').model));
    const scratch = await tempDir();
    const input = path.join(scratch, 'in.png');
    const picture = noise(24, 16);
    await sharp(Buffer.from(picture.data), { raw: { width: 24, height: 16, channels: 3 } }).png().toFile(input);
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => (errors += text) }, modelDirs: [], models: service };
    let errors = '';
    const before = path.join(scratch, 'before.png');
    expect(await runUpscaleCommand(['--model', 'real-esrgan-x4plus-anime', '--scale', '2', input, before], io)).toBe(1);
    expect(errors).toMatch(/real-esrgan-x4plus-anime is not downloaded yet/);

    await service.download('real-esrgan-x4plus-anime');
    expect((await settles(service, 'real-esrgan-x4plus-anime')).state).toBe('installed');
    const output = path.join(scratch, 'out.png');
    expect(await runUpscaleCommand(['--model', 'real-esrgan-x4plus-anime', '--scale', '2', input, output], io)).toBe(0);
    const png = await fs.readFile(output);
    expect(await sharp(png).metadata()).toMatchObject({ width: 48, height: 32 });
    expect(readPngTextChunks(png)['postprocessing']).toBe('Postprocess upscale by: 2, Postprocess upscaler: Real-ESRGAN x4plus Anime (light)');
    errors = '';
    expect(await runUpscaleCommand(['--model', 'sd-turbo', '--scale', '2', input, path.join(scratch, 'x.png')], io)).toBe(1);
    expect(errors).toMatch(/not an upscaler/);
  });

  it('refuses a download whose file is not the one the catalog pinned, and installs nothing', async () => {
    // The catalog's SHA-256 is the real 67 MB export's; the hub serves something else.
    const { service, modelsDir } = await servedAs('real-esrgan-x4plus', Buffer.from(buildUpscaler(4, 'impostor', 16).model), 'catalog');
    await service.download('real-esrgan-x4plus');
    const failed = await settles(service, 'real-esrgan-x4plus');
    expect(failed.state).toBe('failed');
    expect(failed.download?.message).toMatch(/SHA-256/);
    await expect(fs.access(path.join(modelsDir, 'real-esrgan-x4plus', 'Real-ESRGAN-x4plus.onnx'))).rejects.toThrow();
    await expect(service.resolveUpscaler('real-esrgan-x4plus')).rejects.toThrow(/not downloaded yet|not ready/);
  });
});
