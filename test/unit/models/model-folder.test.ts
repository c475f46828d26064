import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFolderCache, readModelFolder } from '../../../src-main/core/models/model-folder';
import { parseSchedulerConfig } from '../../../src-main/core/pipeline/schedulers';
import { type FixtureKind, fixtureModel } from '../../fixtures/models';
import { onnxBytes } from './model-folder-files';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-model-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A writable copy of a fixture, for tests that break it. */
async function copyOf(kind: FixtureKind, name: string): Promise<string> {
  const dir = path.join(scratch, name);
  await cp(await fixtureModel(kind), dir, { recursive: true });
  return dir;
}

describe('readModelFolder', () => {
  it.each([
    ['sd15-legacy', 'sd1', false, 0.18215],
    ['sd15-optimum', 'sd1', false, 0.18215],
    ['sd15-fp16', 'sd1', false, 0.18215],
    ['sd21', 'sd2', false, 0.18215],
    ['sdxl', 'sdxl', true, 0.13025],
    ['lcm', 'lcm', false, 0.18215],
    ['turbo', 'turbo', false, 0.18215],
  ] as const)('reads %s as architecture %s', async (kind, architecture, xl, scaling) => {
    const folder = await readModelFolder(await fixtureModel(kind));
    expect(folder.architecture).toBe(architecture);
    expect(folder.xl).toBe(xl);
    expect(folder.vaeScalingFactor).toBe(scaling);
    expect(folder.forceZerosForEmptyPrompt).toBe(xl);
    expect(path.basename(folder.parts.unet.path)).toBe('model.onnx');
    expect(folder.parts.vae_encoder).toBeDefined();
    expect(folder.tokenizer2Dir !== null).toBe(xl);
    expect(folder.schedulerConfig['_class_name']).toBeTypeOf('string');
  });

  it('describes each part present: its file, graph inputs and outputs, and external weights', async () => {
    const folder = await readModelFolder(await fixtureModel('sdxl'));
    expect(Object.keys(folder.parts).sort()).toEqual(['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder']);
    expect(folder.parts.unet.file).toBe('unet/model.onnx');
    expect(folder.parts.unet.externalData).toEqual(['unet/model.onnx_data']);
    expect(folder.parts.text_encoder_2?.externalData).toEqual(['text_encoder_2/model.onnx_data']);
    expect(folder.parts.vae_decoder.externalData).toEqual([]);
    expect(folder.parts.unet.inputs.map((input) => input.name)).toEqual(
      expect.arrayContaining(['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids']),
    );
    expect(folder.parts.vae_decoder.outputs.map((output) => output.name)).toEqual(['sample']);
    expect(folder.unetInChannels).toBe(4);
    expect(folder.files).toContain('tokenizer_2/merges.txt');
    expect(folder.modelIndex['_class_name']).toBeTypeOf('string');
  });

  it('knows inpainting UNets from their sample input, or from unet/config.json where the export left it symbolic', async () => {
    for (const kind of ['sd15-inpaint-optimum', 'sdxl-inpaint', 'sd15-inpaint-legacy'] as const) {
      const folder = await readModelFolder(await fixtureModel(kind));
      expect(folder).toMatchObject({ unetInChannels: 9, inpainting: true });
    }
    const legacy = await readModelFolder(await fixtureModel('sd15-inpaint-legacy'));
    expect(legacy.parts.unet.inputs.find((input) => input.name === 'sample')?.shape?.[1]).toBeTypeOf('string');
    const regular = await readModelFolder(await fixtureModel('sd15-legacy'));
    expect(regular).toMatchObject({ unetInChannels: 4, inpainting: false, nativeSize: { width: 512, height: 512, fixed: false } });
    expect((await readModelFolder(await fixtureModel('sdxl'))).nativeSize).toEqual({ width: 1024, height: 1024, fixed: false });
  });

  it.each([
    ['sd15-optimum', 'sd15'],
    ['sd21', 'sd21'],
    ['sdxl', 'sdxl'],
    ['lcm', 'lcm'],
    ['turbo', 'sd-turbo'],
  ] as const)('lists %s under the family %s', async (kind, family) => {
    expect((await readModelFolder(await fixtureModel(kind))).family).toBe(family);
  });

  it('finds an optional part listed in the part table when its folder is there', async () => {
    const dir = await copyOf('sd15-optimum', 'tiny-decoder');
    await cp(path.join(dir, 'vae_decoder'), path.join(dir, 'vae_decoder_tiny'), { recursive: true });
    const folder = await readModelFolder(dir);
    expect(folder.parts.vae_decoder_tiny?.path).toBe(path.join(dir, 'vae_decoder_tiny', 'model.onnx'));
  });

  it('refuses an ONNX file outside the part table that reads weights from outside the folder', async () => {
    const dir = await copyOf('sd15-optimum', 'stray-onnx');
    await mkdir(path.join(dir, 'safety_checker'));
    await writeFile(path.join(dir, 'safety_checker', 'model.onnx'), onnxBytes({ externalLocation: '../../secret' }));
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_unsafe', message: expect.stringContaining('safety_checker/model.onnx') });
  });

  it('reads config text with the bare Infinity and NaN tokens Python writes', async () => {
    const dir = await copyOf('sd15-optimum', 'python-json');
    const file = path.join(dir, 'scheduler', 'scheduler_config.json');
    await writeFile(file, '{"lambda_min_clipped": -Infinity, "sigma_min": NaN, "_class_name": "say -Infinity \\" NaN", "beta_end": 0.012}');
    const folder = await readModelFolder(dir);
    expect(folder.schedulerClass).toBe('say -Infinity " NaN');
    const config = parseSchedulerConfig(folder.schedulerConfig);
    expect(config.lambdaMinClipped).toBe(-Infinity);
    expect(config.sigmaMin).toBeUndefined();
    expect(config.betaEnd).toBe(0.012);
    await writeFile(file, '{"beta_end": }');
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('not valid JSON') });
  });

  it('takes the VAE scaling factor from the config, not the architecture default', async () => {
    const dir = await copyOf('sd15-optimum', 'scaling');
    await writeFile(path.join(dir, 'vae_decoder', 'config.json'), JSON.stringify({ scaling_factor: 0.5 }));
    expect((await readModelFolder(dir)).vaeScalingFactor).toBe(0.5);
  });

  it('refuses a folder holding a pickle checkpoint', async () => {
    const dir = await copyOf('sd15-legacy', 'pickle');
    await writeFile(path.join(dir, 'unet', 'diffusion_pytorch_model.bin'), 'not really a pickle');
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_unsafe', message: expect.stringContaining('.bin') });
  });

  it('refuses a folder holding a native library', async () => {
    const dir = await copyOf('sd15-legacy', 'native');
    await writeFile(path.join(dir, 'custom_ops.so'), '');
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_unsafe' });
  });

  it('names the missing part', async () => {
    const dir = await copyOf('sd15-optimum', 'no-unet');
    await rm(path.join(dir, 'unet'), { recursive: true });
    await expect(readModelFolder(dir)).rejects.toMatchObject({
      code: 'model_invalid',
      message: `The model folder ${dir} has no unet/model.onnx.`,
    });
  });

  it('names a missing tokenizer file and a missing scheduler config', async () => {
    const dir = await copyOf('sd15-optimum', 'no-merges');
    await rm(path.join(dir, 'tokenizer', 'merges.txt'));
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('tokenizer/merges.txt') });
    await rm(path.join(dir, 'scheduler'), { recursive: true });
    await expect(readModelFolder(dir)).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringContaining('scheduler/scheduler_config.json'),
    });
  });

  it('refuses an SDXL index without the second text encoder', async () => {
    const dir = await copyOf('sdxl', 'xl-half');
    await rm(path.join(dir, 'text_encoder_2'), { recursive: true });
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('text_encoder_2') });
  });

  it('rejects a folder that does not exist and a config that is not JSON', async () => {
    await expect(readModelFolder(path.join(scratch, 'nothing-here'))).rejects.toMatchObject({ code: 'model_invalid' });
    const dir = await copyOf('sd15-optimum', 'bad-json');
    await writeFile(path.join(dir, 'model_index.json'), '{ nope');
    await expect(readModelFolder(dir)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('not valid JSON') });
  });
});

describe('ModelFolderCache', () => {
  it('reads a folder once while its files stay as they were, and again after one changes', async () => {
    const dir = await copyOf('sd15-optimum', 'cached');
    const cache = new ModelFolderCache();
    const first = await cache.read(dir);
    expect(await cache.read(dir)).toBe(first);
    const config = path.join(dir, 'scheduler', 'scheduler_config.json');
    await writeFile(config, JSON.stringify({ ...first.schedulerConfig, steps_offset: 0, extra: 'changed to another size' }));
    const second = await cache.read(dir);
    expect(second).not.toBe(first);
    expect(second.schedulerConfig.steps_offset).toBe(0);
    cache.forget(dir);
    expect(await cache.read(dir)).not.toBe(second);
  });
});
