import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../../src-preload/api';
import { SessionCache } from '../../../src-main/core/runtime/session-cache';
import { OnnxSession, type OnnxSessionOptions } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';
import { cudaImpossible } from './machine';

/** A cache over real sessions that counts how many it creates. */
function countingCache() {
  const created: string[] = [];
  const cache = new SessionCache((modelPath: string, provider: ProviderName, options: OnnxSessionOptions) => {
    created.push(`${path.basename(path.dirname(modelPath))}@${provider}`);
    return OnnxSession.create(modelPath, provider, options);
  });
  return { cache, created };
}

let current: SessionCache | undefined;
afterEach(async () => {
  await current?.releaseAll();
});

describe('SessionCache', () => {
  it('creates each (model, component, provider) once and hands back the same session', async () => {
    const { cache, created } = countingCache();
    current = cache;
    const dir = await fixtureModel('sd15-legacy');
    const [first, concurrent] = await Promise.all([cache.get(dir, 'unet', 'cpu'), cache.get(dir, 'unet', 'cpu')]);
    const again = await cache.get(`${dir}/`, 'unet', 'cpu');
    expect(concurrent).toBe(first);
    expect(again).toBe(first);
    expect(first.modelPath).toBe(path.join(dir, 'unet', 'model.onnx'));
    const decoder = await cache.get(dir, 'vae_decoder', 'cpu');
    expect(decoder).not.toBe(first);
    const tuned = await cache.get(dir, 'unet', 'cpu', { freeDimensions: { batch: 2 } });
    expect(tuned).not.toBe(first);
    expect(created).toEqual(['unet@cpu', 'vae_decoder@cpu', 'unet@cpu']);
    expect(cache.size).toBe(3);
  });

  it.runIf(cudaImpossible)('does not cache a provider that failed, so it is tried again', async () => {
    const { cache, created } = countingCache();
    current = cache;
    const dir = await fixtureModel('sd15-legacy');
    await expect(cache.get(dir, 'unet', 'cuda')).rejects.toMatchObject({ code: 'provider_failed' });
    await expect(cache.get(dir, 'unet', 'cuda')).rejects.toMatchObject({ code: 'provider_failed' });
    expect(created).toEqual(['unet@cuda', 'unet@cuda']);
    expect(cache.size).toBe(0);
  });

  it('releases one model on a switch and leaves the others', async () => {
    const { cache } = countingCache();
    current = cache;
    const legacy = await fixtureModel('sd15-legacy');
    const optimum = await fixtureModel('sd15-optimum');
    const oldUnet = await cache.get(legacy, 'unet', 'cpu');
    const oldDecoder = await cache.get(legacy, 'vae_decoder', 'cpu');
    const kept = await cache.get(optimum, 'unet', 'cpu');
    await cache.releaseModel(legacy);
    expect(oldUnet.isReleased).toBe(true);
    expect(oldDecoder.isReleased).toBe(true);
    expect(kept.isReleased).toBe(false);
    expect(cache.size).toBe(1);
    const fresh = await cache.get(legacy, 'unet', 'cpu');
    expect(fresh).not.toBe(oldUnet);
    await cache.releaseAll();
    expect(kept.isReleased).toBe(true);
    expect(fresh.isReleased).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('releases idle sessions for low memory but not ones in use or used recently', async () => {
    const { cache } = countingCache();
    current = cache;
    const dir = await fixtureModel('sd15-legacy');
    const decoder = await cache.get(dir, 'vae_decoder', 'cpu');
    const encoder = await cache.get(dir, 'vae_encoder', 'cpu');
    expect(await cache.releaseIdle(60_000)).toBe(0);

    const latent = { data: new Float32Array(4 * 32 * 32), dims: [1, 4, 32, 32] };
    const running = decoder.run({ latent_sample: latent });
    expect(decoder.busy).toBe(true);
    expect(await cache.releaseIdle(0)).toBe(1);
    expect(encoder.isReleased).toBe(true);
    expect(decoder.isReleased).toBe(false);
    expect((await running).sample!.dims).toEqual([1, 3, 256, 256]);
    expect(await cache.releaseIdle(0)).toBe(1);
    expect(decoder.isReleased).toBe(true);
    expect(cache.size).toBe(0);
  });
});
