import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { TextToImage } from '../../../src-main/core/pipeline/generate';
import { generationParams } from '../../../src-main/core/pipeline/params';
import { combineGuidance } from '../../../src-main/core/pipeline/latents';
import { type GuidanceBatching, splitsGuidance } from '../../../src-main/core/pipeline/memory';
import { UnetRunner, readUnetLayout } from '../../../src-main/core/pipeline/unet';
import { ProviderHealth } from '../../../src-main/core/runtime/fallback';
import { type OnnxSessionOptions, OnnxSession } from '../../../src-main/core/runtime/session';
import { SessionCache } from '../../../src-main/core/runtime/session-cache';
import { fixtureModel } from '../../fixtures/models';
import { smallRequest } from './pipeline-harness';

const GB = 2 ** 30;
const sessions = new SessionCache();
let temp: string | undefined;
afterAll(async () => {
  await sessions.releaseAll();
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
});

async function pipeline(guidanceBatching: GuidanceBatching, freeMemory?: () => number, cache = sessions): Promise<TextToImage> {
  temp ??= await mkdtemp(path.join(os.tmpdir(), 'easel-guidance-'));
  return new TextToImage({
    sessions: cache,
    providerOrder: () => ['cpu'],
    health: await ProviderHealth.open(path.join(temp, `health-${guidanceBatching}.json`), { machine: 'test' }),
    sessionOptions: { cpuThreads: 1 },
    guidanceBatching,
    ...(freeMemory === undefined ? {} : { freeMemory }),
  });
}

describe('guided steps as one UNet call or two', () => {
  it('splits on a CPU only when free memory would not hold the second row, scaled by the image area', () => {
    expect(splitsGuidance('auto', 'cpu', 64, 64, () => 16 * GB)).toBe(false);
    expect(splitsGuidance('auto', 'cpu', 64, 64, () => 5 * GB)).toBe(true);
    expect(splitsGuidance('auto', 'cpu', 32, 32, () => 5 * GB)).toBe(false);
    expect(splitsGuidance('auto', 'cpu', 128, 128, () => 16 * GB)).toBe(true);
    expect(splitsGuidance('auto', 'cuda', 128, 128, () => 1 * GB)).toBe(false);
    expect(splitsGuidance('two-calls', 'cuda', 8, 8, () => 64 * GB)).toBe(true);
    expect(splitsGuidance('one-call', 'cpu', 128, 128, () => 0)).toBe(false);
  });

  it('runs a guided UNet step as two calls when asked to, one otherwise', async () => {
    const unet = await sessions.get(await fixtureModel('sd15-optimum'), 'unet', 'cpu');
    const conditioning = { hiddenStates: new Float32Array(2 * 77 * 768), rows: 2 as const, sequence: 77, dim: 768, pooled: null, pooledDim: 0 };
    const runner = (split: boolean) =>
      new UnetRunner(unet, readUnetLayout(unet), conditioning, { timeIds: null, timestepCond: null }, 4 * 8 * 8, [4, 8, 8], split);
    expect(runner(false).calls).toBe(1);
    expect(runner(true).calls).toBe(2);
    const latents = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i));
    const [split, together] = [runner(true), runner(false)];
    const splitNoise = await split.predictNoise(latents, 500, 7.5);
    expect(Array.from(splitNoise)).toEqual(Array.from(await together.predictNoise(latents, 500, 7.5)));
    expect(splitNoise.length).toBe(latents.length);
    expect(split.lastOutputNonFinite()).toBe(false);
  });

  it('guides a float16 UNet from its float16 rows as from the rows converted to float32, in one call or two', async () => {
    const unet = await sessions.get(await fixtureModel('sd15-fp16'), 'unet', 'cpu');
    expect(unet.inputs.find((input) => input.name === 'sample')!.dtype).toBe('float16');
    const hiddenStates = Float32Array.from({ length: 2 * 77 * 768 }, (_, i) => Math.cos(i) / 4);
    const conditioning = { hiddenStates, rows: 2 as const, sequence: 77, dim: 768, pooled: null, pooledDim: 0 };
    const runner = (split: boolean) =>
      new UnetRunner(unet, readUnetLayout(unet), conditioning, { timeIds: null, timestepCond: null }, 4 * 8 * 8, [4, 8, 8], split);
    const latents = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i) * 3);
    const together = await runner(false).predictNoise(latents, 500, 7.5);
    expect(Array.from(await runner(true).predictNoise(latents, 500, 7.5))).toEqual(Array.from(together));
    const rows = (
      await unet.run({
        sample: { data: Float32Array.from([...latents, ...latents]), dims: [2, 4, 8, 8] },
        timestep: { data: Float32Array.of(500, 500), dims: [2] },
        encoder_hidden_states: { data: hiddenStates, dims: [2, 77, 768] },
      })
    ).out_sample!.data as Float32Array;
    const n = latents.length;
    expect(Array.from(together)).toEqual(Array.from(combineGuidance(rows.subarray(0, n), rows.subarray(n), 7.5, new Float32Array(n))));
  });

  it('makes the same image in two batch-1 calls as in one batch-2 call', async () => {
    const request = smallRequest(await fixtureModel('sd15-optimum'), { steps: 3 });
    const folder = await readModelFolder(request.modelId);
    const model = { id: request.modelId, name: folder.name, folder };
    const params = generationParams(request);
    const [together] = await (await pipeline('one-call')).generate(params, model);
    const [split] = await (await pipeline('two-calls')).generate(params, model);
    const [short] = await (await pipeline('auto', () => 0)).generate(params, model);
    expect(Buffer.from(split!.rgb).equals(Buffer.from(together!.rgb))).toBe(true);
    expect(Buffer.from(short!.rgb).equals(Buffer.from(together!.rgb))).toBe(true);
  });

  it('opens CPU sessions without a memory arena for a run short of memory, with one otherwise', async () => {
    const request = smallRequest(await fixtureModel('sd15-optimum'), { steps: 1 });
    const folder = await readModelFolder(request.modelId);
    const model = { id: request.modelId, name: folder.name, folder };
    const arenas = async (batching: GuidanceBatching, freeMemory: () => number) => {
      const opened: OnnxSessionOptions[] = [];
      const cache = new SessionCache((modelPath, provider, options) => {
        opened.push(options);
        return OnnxSession.create(modelPath, provider, options);
      });
      try {
        await (await pipeline(batching, freeMemory, cache)).generate(generationParams(request), model);
      } finally {
        await cache.releaseAll();
      }
      return new Set(opened.map((options) => options.memoryArena !== false));
    };
    expect(await arenas('auto', () => 0)).toEqual(new Set([false]));
    expect(await arenas('two-calls', () => 64 * GB)).toEqual(new Set([false]));
    expect(await arenas('auto', () => 64 * GB)).toEqual(new Set([true]));
  });
});
