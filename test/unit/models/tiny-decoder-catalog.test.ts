import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { type CatalogEntry, findCatalogEntry } from '../../../src-main/core/models/catalog';
import { readTinyDecoderFolder } from '../../../src-main/core/models/model-folder';
import { ModelsService } from '../../../src-main/core/models/models-service';
import { generationParams } from '../../../src-main/core/pipeline/params';
import { settingsSchema, type ModelSummary } from '../../../src-preload/api';
import { FakeHub } from '../../fixtures/hub/fake-hub';
import { fixtureModel } from '../../fixtures/models';
import { buildTinyDecoder, tinyDecoderFixtureSpec } from '../../fixtures/onnx/tiny-decoder';
import { buildUpscaler } from '../../fixtures/onnx/upscaler';
import { useTempDirs } from '../../helpers/temp';
import { makeHarness, smallRequest } from '../pipeline/pipeline-harness';

const tempDir = useTempDirs();
const hubs: FakeHub[] = [];
const harness = makeHarness();
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
});
afterAll(async () => (await harness).dispose());

/**
 * The catalog's tiny decoder entries served by a local hub in their repositories' layout (repo, a full commit
 * starting with the catalog's short pin, `vae_decoder/model.onnx`), with a random-weight decoder of TAESD's
 * architecture in place of the published file, and the entries pinned to that file's SHA-256.
 */
async function servedService(decoder: Buffer) {
  const entries: CatalogEntry[] = [];
  for (const id of ['taesd', 'taesdxl']) {
    const real = findCatalogEntry(id)!;
    if (real.source.kind !== 'huggingface') throw new Error(`${id} is not a hub entry`);
    const file = real.files[0]!;
    const hub = await new FakeHub([{ path: file.path, content: decoder, lfs: true }], {
      repo: real.source.repo,
      revision: real.source.revision.padEnd(40, '0'),
    }).start();
    hubs.push(hub);
    const sha256 = createHash('sha256').update(decoder).digest('hex');
    entries.push({ ...real, files: [{ ...file, approxBytes: decoder.length, sha256 }], approxTotalBytes: decoder.length });
  }
  const modelsDir = await tempDir();
  // Every repository answers on its own port; the hub endpoint names the one a test downloads from.
  let endpoint = hubs[0]!.hubUrl;
  const service = new ModelsService({
    modelsDir: async () => modelsDir,
    builtinModelsDir: path.resolve(__dirname, '../../../resources/models'),
    settings: async () => settingsSchema.parse({ hubEndpoint: endpoint }),
    env: {},
    onChange: () => undefined,
    catalog: entries,
    downloaderOptions: { stallTimeoutMs: 2_000, retryBaseDelayMs: 10, progressIntervalMs: 0 },
  });
  const install = async (id: 'taesd' | 'taesdxl'): Promise<ModelSummary> => {
    endpoint = hubs[id === 'taesd' ? 0 : 1]!.hubUrl;
    await service.download(id);
    return settles(service, id);
  };
  return { service, install, modelsDir };
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

const tinyDecoderFile = () => Buffer.from(buildTinyDecoder(tinyDecoderFixtureSpec).model);

describe('tiny decoder add-ons in the catalog', () => {
  it('downloads TAESD, then an SD 1.5 model without its own tiny decoder offers it and decodes with it', async () => {
    const { service, install, modelsDir } = await servedService(tinyDecoderFile());
    const sd15 = await service.importFolder(await fixtureModel('sd15-optimum'), 'reference');
    const sdxl = await service.importFolder(await fixtureModel('sdxl'), 'reference');
    expect([sd15.tinyDecoder, sdxl.tinyDecoder]).toEqual([false, false]);
    expect(await service.get('taesd')).toMatchObject({ state: 'available', family: 'tiny-decoder', capabilities: { summary: 'Fast previews and drafts for SD 1.x/2.x' } });

    expect((await install('taesd')).state).toBe('installed');
    expect(await service.verify('taesd')).toEqual({ id: 'taesd', ok: true, problems: [] });
    const listed = new Map((await service.list()).map((model) => [model.id, model]));
    expect(listed.get(sd15.id)!.tinyDecoder).toBe(true);
    // TAESD decodes SD 1.x/2.x latents only: the SDXL model waits for TAESDXL.
    expect(listed.get(sdxl.id)!.tinyDecoder).toBe(false);

    const { pipeline, created } = await harness;
    const model = await service.resolveForGeneration(sd15.id);
    expect(model.tinyDecoderAddon?.dir).toBe(path.join(modelsDir, 'taesd'));
    const before = created.length;
    const [tiny] = await pipeline.generate(generationParams(smallRequest(sd15.id, { decoder: 'tiny' })), model);
    expect(tiny!.metadata.decoder).toBe('tiny');
    const opened = created.slice(before).map((session) => session.modelPath);
    expect(opened).toContain(path.join(model.tinyDecoderAddon!.dir, 'vae_decoder', 'model.onnx'));
    expect(opened.some((file) => file.endsWith(`${path.sep}vae_decoder${path.sep}model.onnx`) && file.startsWith(model.folder.dir))).toBe(false);
    const [full] = await pipeline.generate(generationParams(smallRequest(sd15.id, { decoder: 'full' })), model);
    expect(Buffer.from(full!.rgb).equals(Buffer.from(tiny!.rgb))).toBe(false);

    const xl = await service.resolveForGeneration(sdxl.id);
    expect(xl.tinyDecoderAddon).toBeUndefined();
    const refused = await pipeline.generate(generationParams(smallRequest(sdxl.id, { decoder: 'tiny' })), xl).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EaselError);
    expect((refused as EaselError).message).toMatch(/TAESDXL/);
    await expect(service.resolveForGeneration('taesd')).rejects.toThrow(/is a tiny decoder/);

    expect((await install('taesdxl')).state).toBe('installed');
    expect((await service.get(sdxl.id)).tinyDecoder).toBe(true);
    expect((await service.resolveForGeneration(sdxl.id)).tinyDecoderAddon?.dir).toBe(path.join(modelsDir, 'taesdxl'));
  });

  it('refuses an add-on whose export does not take latent_sample and give sample, saying what it has', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'vae_decoder'));
    await fs.writeFile(path.join(dir, 'vae_decoder', 'model.onnx'), buildUpscaler(4, 'not-a-decoder').model);
    const error = await readTinyDecoderFolder(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('model_invalid');
    expect((error as EaselError).message).toMatch(/should take latent_sample \[B, 4, h, w\] and give sample .* it takes /);
  });
});
