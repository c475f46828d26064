import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import {
  checkOutput,
  ProviderHealth,
  ProvidersExhausted,
  runWithFallback,
  type SkippedProvider,
} from '../../../src-main/core/runtime/fallback';
import { type HostTensor, OnnxSession } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';
import { cudaImpossible, webgpuImpossible } from './machine';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-fallback-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let fileCount = 0;
const healthFile = () => path.join(temp, `health-${(fileCount += 1)}`, 'providers.json');

/** One real UNet step on `provider`: create the session, run it, release it. */
async function unetStep(dir: string, provider: ProviderName): Promise<Float32Array> {
  const session = await OnnxSession.create(path.join(dir, 'unet', 'model.onnx'), provider);
  try {
    const feeds: Record<string, HostTensor> = {
      sample: { data: Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i)), dims: [2, 4, 8, 8] },
      timestep: { data: Float32Array.of(500), dims: [1] },
      encoder_hidden_states: { data: new Float32Array(2 * 77 * 768).fill(0.1), dims: [2, 77, 768] },
    };
    return (await session.run(feeds)).out_sample!.data as Float32Array;
  } finally {
    await session.release();
  }
}

const finite = (values: Float32Array) => checkOutput(values);

describe.runIf(cudaImpossible && webgpuImpossible)('runWithFallback with real providers', () => {
  it('falls from CUDA and WebGPU to CPU, recording why, and skips them next time', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const file = healthFile();
    const health = await ProviderHealth.open(file, { machine: 'test-machine' });
    const tried: ProviderName[] = [];
    const attempt = (provider: ProviderName) => {
      tried.push(provider);
      return unetStep(dir, provider);
    };

    const first = await runWithFallback(['cuda', 'webgpu', 'cpu'], attempt, finite, { health, model: 'sd15-optimum' });
    expect(first.provider).toBe('cpu');
    expect(first.value).toHaveLength(2 * 4 * 8 * 8);
    expect(first.skipped.map((skip) => skip.provider)).toEqual(['cuda', 'webgpu']);
    expect(first.skipped[0]!.reason).toBe('CUDA: the CUDA provider is not installed (see README)');
    expect(first.skipped[1]!.reason).toBe('WebGPU: no compatible graphics adapter on this computer');

    const reopened = await ProviderHealth.open(file, { machine: 'test-machine' });
    expect(reopened.isBad('sd15-optimum', 'webgpu')).toBe(true);
    expect(reopened.isBad('sd15-optimum', 'cuda')).toBe(true);
    expect(reopened.isBad('sd15-optimum', 'cpu')).toBe(false);
    expect(reopened.isBad('sd15-legacy', 'webgpu')).toBe(false);

    tried.length = 0;
    const second = await runWithFallback(['cuda', 'webgpu', 'cpu'], attempt, finite, { health: reopened, model: 'sd15-optimum' });
    expect(tried).toEqual(['cpu']);
    expect(second.skipped.map((skip) => skip.reason)).toEqual([
      'failed before: CUDA: the CUDA provider is not installed (see README)',
      'failed before: WebGPU: no compatible graphics adapter on this computer',
    ]);
    expect(second.value).toEqual(first.value);
  });
});

describe('runWithFallback', () => {
  it('marks a provider whose UNet produces NaN as bad and fails with every reason', async () => {
    const dir = await fixtureModel('sd15-optimum', { nan: true });
    const health = await ProviderHealth.open(healthFile(), { machine: 'm' });
    const error = await runWithFallback(['cpu'], (provider) => unetStep(dir, provider), finite, {
      health,
      model: 'nan-model',
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('provider_failed');
    expect((error as EaselError).message).toMatch(/CPU: produced 512 NaN or infinite values out of 512/);
    expect((error as EaselError).detail).toEqual({
      attempts: [{ provider: 'cpu', reason: 'produced 512 NaN or infinite values out of 512' }],
    });
    expect(health.badProviders('nan-model')).toEqual([
      { provider: 'cpu', reason: 'produced 512 NaN or infinite values out of 512', at: expect.any(String) },
    ]);
  });

  it('tries known-bad providers again when nothing else is left, and forgets them once they work', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const health = await ProviderHealth.open(healthFile(), { machine: 'm' });
    await health.markBad('model', 'cpu', 'produced NaN once');
    const result = await runWithFallback(['cpu'], (provider) => unetStep(dir, provider), finite, { health, model: 'model' });
    expect(result.provider).toBe('cpu');
    expect(result.skipped).toEqual([]);
    expect(health.isBad('model', 'cpu')).toBe(false);
  });

  it('passes cancellation and unsafe-model errors through without blaming the provider', async () => {
    const health = await ProviderHealth.open(healthFile(), { machine: 'm' });
    for (const code of ['cancelled', 'model_unsafe'] as const) {
      const tried: ProviderName[] = [];
      const attempt = async (provider: ProviderName) => {
        tried.push(provider);
        throw new EaselError(code, 'stop');
      };
      await expect(runWithFallback(['webgpu', 'cpu'], attempt, undefined, { health, model: 'x' })).rejects.toMatchObject({
        code,
      });
      expect(tried).toEqual(['webgpu']);
    }
    expect(health.badProviders('x')).toEqual([]);
  });

  it("passes the request's, the model's and Easel's own errors through, trying no other provider", async () => {
    const health = await ProviderHealth.open(healthFile(), { machine: 'm' });
    for (const code of ['invalid_request', 'model_invalid', 'internal', 'io'] as const) {
      const tried: ProviderName[] = [];
      const attempt = async (provider: ProviderName) => {
        tried.push(provider);
        throw new EaselError(code, 'not the provider');
      };
      await expect(runWithFallback(['webgpu', 'cpu'], attempt, undefined, { health, model: 'x' })).rejects.toMatchObject({
        code,
        message: 'not the provider',
      });
      expect(tried).toEqual(['webgpu']);
    }
    expect(health.badProviders('x')).toEqual([]);
  });

  it('falls back on load, run and ONNX Runtime failures, telling each attempt what was passed over', async () => {
    const health = await ProviderHealth.open(healthFile(), { machine: 'm' });
    await health.markBad('y', 'cuda', 'driver crash');
    const seen: Array<[ProviderName, string[]]> = [];
    const failures: Partial<Record<ProviderName, Error>> = {
      webgpu: new EaselError('provider_failed', 'WebGPU could not load the unet'),
      dml: new EaselError('inference_failed', 'the unet failed on DirectML'),
      coreml: new Error('Non-zero status code returned while running Conv node'),
    };
    const attempt = async (provider: ProviderName, skipped: readonly SkippedProvider[]) => {
      seen.push([provider, skipped.map((skip) => skip.provider)]);
      const failure = failures[provider];
      if (failure) throw failure;
      return provider;
    };
    const result = await runWithFallback(['cuda', 'webgpu', 'dml', 'coreml', 'cpu'], attempt, undefined, { health, model: 'y' });
    expect(result.provider).toBe('cpu');
    expect(seen).toEqual([
      ['webgpu', ['cuda']],
      ['dml', ['cuda', 'webgpu']],
      ['coreml', ['cuda', 'webgpu', 'dml']],
      ['cpu', ['cuda', 'webgpu', 'dml', 'coreml']],
    ]);
    expect(result.skipped).toEqual([
      { provider: 'cuda', reason: 'failed before: driver crash', earlier: 'driver crash' },
      { provider: 'webgpu', reason: 'WebGPU could not load the unet' },
      { provider: 'dml', reason: 'the unet failed on DirectML' },
      { provider: 'coreml', reason: 'Non-zero status code returned while running Conv node' },
    ]);
    expect(health.badProviders('y').map((bad) => bad.provider).sort()).toEqual(['coreml', 'cuda', 'dml', 'webgpu']);

    delete failures.coreml;
    const exhausted = await runWithFallback(['webgpu', 'dml'], attempt, undefined, { health, model: 'y' }).catch((e: unknown) => e);
    expect(exhausted).toBeInstanceOf(ProvidersExhausted);
    expect((exhausted as ProvidersExhausted).attempts).toEqual([
      { provider: 'webgpu', reason: 'WebGPU could not load the unet' },
      { provider: 'dml', reason: 'the unet failed on DirectML' },
    ]);
  });

  it('works without memory and explains an empty order', async () => {
    const result = await runWithFallback(['webgpu', 'cpu'], async (provider) => {
      if (provider === 'webgpu') throw new Error('device lost');
      return provider;
    });
    expect(result).toEqual({ value: 'cpu', provider: 'cpu', skipped: [{ provider: 'webgpu', reason: 'device lost' }] });
    await expect(runWithFallback([], async () => 1)).rejects.toMatchObject({
      code: 'provider_failed',
      message: 'No execution provider is available on this machine.',
    });
  });
});

describe('ProviderHealth', () => {
  it('never lets a note it cannot write stop the next provider, nor block later notes', async () => {
    // A plain file where the notes' folder should be: no one, not even root, can write there.
    const blocked = path.join(temp, `blocked-${(fileCount += 1)}`);
    writeFileSync(blocked, 'not a folder');
    const health = await ProviderHealth.open(path.join(blocked, 'providers.json'), { machine: 'here' });
    const result = await runWithFallback(
      ['webgpu', 'cpu'],
      async (provider) => {
        if (provider === 'webgpu') throw new Error('no adapter');
        return 'image';
      },
      undefined,
      { health, model: 'm' },
    );
    expect(result).toMatchObject({ value: 'image', provider: 'cpu' });
    await expect(health.markBad('m', 'dml', 'later')).rejects.toBeInstanceOf(EaselError);
    expect(health.isBad('m', 'dml')).toBe(true);
  });

  it('keeps records per machine and per model, written atomically', async () => {
    const file = healthFile();
    const here = await ProviderHealth.open(file, { machine: 'here', now: () => new Date('2025-01-02T03:04:05Z') });
    await Promise.all([here.markBad('a', 'webgpu', 'no adapter'), here.markBad('b', 'dml', 'driver crash')]);
    expect(readdirSync(path.dirname(file))).toEqual(['providers.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      machines: {
        here: {
          a: { webgpu: { reason: 'no adapter', at: '2025-01-02T03:04:05.000Z' } },
          b: { dml: { reason: 'driver crash', at: '2025-01-02T03:04:05.000Z' } },
        },
      },
    });
    const elsewhere = await ProviderHealth.open(file, { machine: 'elsewhere' });
    expect(elsewhere.isBad('a', 'webgpu')).toBe(false);
    const again = await ProviderHealth.open(file, { machine: 'here' });
    expect(again.badProviders('a')).toEqual([{ provider: 'webgpu', reason: 'no adapter', at: '2025-01-02T03:04:05.000Z' }]);
    await again.clear('a');
    expect((await ProviderHealth.open(file, { machine: 'here' })).isBad('a', 'webgpu')).toBe(false);
    expect((await ProviderHealth.open(file, { machine: 'here' })).isBad('b', 'dml')).toBe(true);
  });

  it('treats a corrupt file as empty and replaces it on the next write', async () => {
    const file = healthFile();
    await ProviderHealth.open(file).then((health) => health.markBad('a', 'cpu', 'x'));
    writeFileSync(file, '{"version": 1, "machines": {');
    const health = await ProviderHealth.open(file);
    expect(health.badProviders('a')).toEqual([]);
    await health.markBad('a', 'webgpu', 'y');
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });
});

describe('checkOutput', () => {
  it('flags NaN, infinities and blank images', () => {
    expect(checkOutput(Float32Array.of(0.1, -0.5, 0.9))).toBeNull();
    expect(checkOutput(Float32Array.of(0.1, NaN, Infinity))).toBe('produced 2 NaN or infinite values out of 3');
    expect(checkOutput(new Float32Array(12).fill(-1), { blankIsBad: true })).toBe('produced a blank image');
    expect(checkOutput(new Float32Array(12).fill(-1))).toBeNull();
  });
});
