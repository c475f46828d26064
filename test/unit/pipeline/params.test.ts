import { describe, expect, it } from 'vitest';
import { MAX_SEED, type GenerateRequest } from '../../../src-preload/api';
import { drawSeed, generationParams } from '../../../src-main/core/pipeline/params';

const request: GenerateRequest = {
  modelId: 'sd-turbo',
  prompt: 'a lighthouse',
  negativePrompt: '',
  steps: 2,
  guidance: 0,
  width: 512,
  height: 512,
  scheduler: 'euler-a',
  count: 1,
  provider: 'auto',
  preview: false,
  decoder: 'auto',
};

describe('seeds', () => {
  it('draws decimal seeds over the whole 64-bit range the contract allows', () => {
    const seeds = Array.from({ length: 64 }, drawSeed);
    for (const seed of seeds) {
      expect(seed).toMatch(/^\d{1,20}$/);
      expect(BigInt(seed) <= MAX_SEED).toBe(true);
    }
    expect(new Set(seeds).size).toBe(seeds.length);
    // Past 2^53: seeds are not limited to what a JSON number holds.
    expect(seeds.some((seed) => BigInt(seed) > 2n ** 53n)).toBe(true);
  });

  it("keeps the request's seed, and draws one only when the request has none", () => {
    expect(generationParams({ ...request, seed: '42' }).seed).toBe('42');
    const drawn = generationParams(request);
    expect(drawn.seed).toMatch(/^\d+$/);
    expect(drawn).not.toHaveProperty('modelId');
    expect(drawn).toMatchObject({ prompt: 'a lighthouse', steps: 2, scheduler: 'euler-a', provider: 'auto' });
  });
});
