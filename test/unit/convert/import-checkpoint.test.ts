import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportProgress, importCheckpoint } from '../../../src-main/core/convert/import-checkpoint';
import { readManifest } from '../../../src-main/core/models/manifest';
import { ModelStore } from '../../../src-main/core/models/store';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { f32 } from '../../fixtures/safetensors';
import { writeTinyCheckpoint } from '../../fixtures/checkpoints';
import { type Harness, makeHarness } from '../pipeline/pipeline-harness';

const CLIP_TOKENIZER = path.resolve(__dirname, '../../../resources/tokenizers/clip');

let scratch: string;
let harness: Harness;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-import-'));
  harness = await makeHarness();
});
afterAll(async () => {
  await harness.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function importInto(modelsDir: string, file: string, extra: { name?: string; signal?: AbortSignal; onProgress?: (p: ImportProgress) => void } = {}) {
  return importCheckpoint({
    file,
    modelsDir,
    tokenizerDir: CLIP_TOKENIZER,
    isTaken: async (id) => (await readdir(modelsDir).catch(() => [] as string[])).includes(id),
    pipeline: harness.pipeline,
    ...extra,
  });
}

describe('importing a single-file checkpoint', () => {
  it('converts, verifies, records the source hashes and installs an ordinary model folder that generates', async () => {
    const modelsDir = path.join(scratch, 'models-ok');
    const file = path.join(scratch, 'My Fine-Tune v2.safetensors');
    await writeTinyCheckpoint(file, 'sd1', { dtype: 'F16' });
    const stages: string[] = [];
    const imported = await importInto(modelsDir, file, { onProgress: (p) => stages.push(p.stage) });

    expect(stages).toEqual(['checking', 'reading', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'writing', 'verifying', 'installing']);
    expect(imported).toMatchObject({ id: 'my-fine-tune-v2', displayName: 'My Fine-Tune v2', family: 'sd15' });
    const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
    expect(imported.sha256).toBe(sha256);
    expect(imported.shortHash).toBe(sha256.slice(0, 10));
    expect(await readdir(modelsDir)).toEqual(['my-fine-tune-v2']);

    const manifest = await readManifest(imported.dir);
    expect(manifest?.checkpoint).toEqual({
      file: 'My Fine-Tune v2.safetensors',
      sha256,
      shortHash: sha256.slice(0, 10),
      family: 'sd1',
      inpainting: false,
      weights: 'float16',
    });
    const folder = await readModelFolder(imported.dir);
    expect(folder).toMatchObject({ architecture: 'sd1', xl: false, vaeScalingFactor: 0.18215 });
    expect(folder.parts.vae_encoder).toBeDefined();
    expect(folder.unetInChannels).toBe(4);

    const store = new ModelStore({ modelsDir });
    expect(await store.get(imported.id)).toMatchObject({ state: 'complete', family: 'sd15', displayName: 'My Fine-Tune v2' });

    const [image] = await harness.generate({
      modelId: imported.dir,
      prompt: 'a lighthouse',
      negativePrompt: 'blurry',
      steps: 2,
      guidance: 7,
      width: 64,
      height: 64,
      scheduler: 'euler-a',
      seed: '5',
      count: 1,
      provider: 'cpu',
      preview: false,
      decoder: 'full',
    });
    expect(image).toMatchObject({ width: 64, height: 64, metadata: { placeholder: false } });
  }, 120_000);

  it.each([
    ['sd2', 'sd21', 'v_prediction'],
    ['sdxl', 'sdxl', 'epsilon'],
  ] as const)('installs a %s checkpoint as a %s model folder the pipeline runs', async (family, modelFamily, prediction) => {
    const modelsDir = path.join(scratch, `models-${family}`);
    const file = path.join(scratch, `${family}.safetensors`);
    await writeTinyCheckpoint(file, family, { dtype: 'BF16' });
    const imported = await importInto(modelsDir, file);
    expect(imported.family).toBe(modelFamily);
    expect(await readManifest(imported.dir)).toMatchObject({ checkpoint: { weights: 'float32' } });
    const folder = await readModelFolder(imported.dir);
    expect(folder).toMatchObject({ xl: family === 'sdxl', schedulerConfig: { prediction_type: prediction } });
    const [image] = await harness.generate({
      modelId: imported.dir,
      prompt: 'a lighthouse',
      negativePrompt: 'fog',
      steps: 2,
      guidance: 5,
      width: 64,
      height: 64,
      scheduler: 'ddim',
      seed: '9',
      count: 1,
      provider: 'cpu',
      preview: false,
      decoder: 'full',
    });
    expect(image?.metadata.placeholder).toBe(false);
  }, 120_000);

  it('recognises an inpainting checkpoint (9-channel UNet) and installs it once it has repainted a test image', async () => {
    const modelsDir = path.join(scratch, 'models-inpaint');
    const file = path.join(scratch, 'inpainting.safetensors');
    await writeTinyCheckpoint(file, 'sd1', {
      edit: (tensors) => {
        tensors['model.diffusion_model.input_blocks.0.0.weight'] = f32(new Float32Array(32 * 9 * 9).fill(0.01), [32, 9, 3, 3]);
      },
    });
    const imported = await importInto(modelsDir, file);
    expect(await readManifest(imported.dir)).toMatchObject({ checkpoint: { inpainting: true } });
    const unetConfig = JSON.parse(await readFile(path.join(imported.dir, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(unetConfig['in_channels']).toBe(9);
    expect((await readModelFolder(imported.dir)).unetInChannels).toBe(9);
  }, 120_000);

  it('names a second import of the same file apart and takes a given name', async () => {
    const modelsDir = path.join(scratch, 'models-names');
    const file = path.join(scratch, 'twice.safetensors');
    await writeTinyCheckpoint(file, 'sd1', { metadata: { 'modelspec.title': 'Titled Model' } });
    expect((await importInto(modelsDir, file)).id).toBe('titled-model');
    expect((await importInto(modelsDir, file, { name: 'Titled Model' })).id).toBe('titled-model-2');
  }, 120_000);

  it('checks the free disk space before converting anything', async () => {
    const modelsDir = path.join(scratch, 'models-full');
    const file = path.join(scratch, 'full.safetensors');
    await writeTinyCheckpoint(file, 'sd1');
    const attempt = importCheckpoint({
      file,
      modelsDir,
      tokenizerDir: CLIP_TOKENIZER,
      isTaken: async () => false,
      pipeline: harness.pipeline,
      freeBytes: async () => 10 * 1024 * 1024,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'disk_full', message: expect.stringMatching(/needs about .* free in .*, which has [\d.]+ MB\. Free some space/) });
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it('leaves nothing behind when cancelled', async () => {
    const modelsDir = path.join(scratch, 'models-cancel');
    const file = path.join(scratch, 'cancel.safetensors');
    await writeTinyCheckpoint(file, 'sd1');
    const controller = new AbortController();
    const attempt = importInto(modelsDir, file, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'unet') controller.abort();
      },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'cancelled' });
    expect(await readdir(modelsDir)).toEqual([]);
  }, 120_000);

  describe('hostile and unsupported files each get a clear reason and leave nothing behind', () => {
    const cases: Array<{ name: string; make: (file: string) => Promise<void>; code: string; message: RegExp }> = [
      {
        name: 'truncated.safetensors',
        make: async (file) => {
          await writeTinyCheckpoint(file, 'sd1');
          await truncate(file, 4_000_000);
        },
        code: 'model_invalid',
        message: /not a valid safetensors file: it is cut short \(.* lies past its end\)/,
      },
      {
        name: 'header-lies.safetensors',
        make: async (file) => {
          const length = Buffer.alloc(8);
          length.writeBigUInt64LE(1n << 40n);
          await writeFile(file, Buffer.concat([length, Buffer.from('{}')]));
        },
        code: 'model_invalid',
        message: /header claims \d+ bytes, more than the file/,
      },
      {
        name: 'pickle.safetensors',
        make: async (file) => writeFile(file, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e, 0, 0, 0, 0])),
        code: 'model_unsafe',
        message: /PyTorch pickle.*Download the \.safetensors version/,
      },
      {
        name: 'model.ckpt',
        make: async (file) => writeFile(file, Buffer.from('PK\u0003\u0004')),
        code: 'model_unsafe',
        message: /not a \.safetensors file/,
      },
      {
        name: 'lora.safetensors',
        make: async (file) => {
          const { writeSafetensors } = await import('../../fixtures/safetensors');
          await writeSafetensors(file, { 'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': f32([1, 2, 3, 4], [2, 2]) });
        },
        code: 'model_invalid',
        message: /not a Stable Diffusion checkpoint .* LoRAs, VAEs and embeddings are not whole models/,
      },
      {
        name: 'unknown-keys.safetensors',
        make: async (file) =>
          writeTinyCheckpoint(file, 'sd1', {
            edit: (tensors) => {
              tensors['model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.extra_gate.weight'] = f32([1, 2], [2]);
            },
          }),
        code: 'model_invalid',
        message: /unet weights Easel does not know how to place \(down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.extra_gate\.weight\)/,
      },
      {
        name: 'missing-unet-weight.safetensors',
        make: async (file) =>
          writeTinyCheckpoint(file, 'sd1', {
            edit: (tensors) => {
              delete tensors['model.diffusion_model.out.2.weight'];
            },
          }),
        code: 'model_invalid',
        message: /has no weights for the unet's conv_out\.weight/,
      },
      {
        name: 'refiner.safetensors',
        make: async (file) =>
          writeTinyCheckpoint(file, 'sdxl', {
            edit: (tensors) => {
              for (const key of Object.keys(tensors)) {
                if (key.startsWith('conditioner.embedders.0.')) delete tensors[key];
                if (key.startsWith('conditioner.embedders.1.')) {
                  tensors[key.replace('embedders.1.', 'embedders.0.')] = tensors[key]!;
                  delete tensors[key];
                }
              }
            },
          }),
        code: 'model_invalid',
        message: /is an SDXL refiner/,
      },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const modelsDir = path.join(scratch, `models-${testCase.name}`);
        await mkdir(modelsDir, { recursive: true });
        const file = path.join(scratch, testCase.name);
        await testCase.make(file);
        const attempt = importInto(modelsDir, file);
        await expect(attempt).rejects.toMatchObject({ code: testCase.code, message: expect.stringMatching(testCase.message) });
        expect(await readdir(modelsDir)).toEqual([]);
      }, 60_000);
    }
  });
});
