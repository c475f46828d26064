import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedulerNames } from '../../../src-preload/api';
import { seedFor } from '../../../src-main/core/pipeline/generate';
import type { GenerationProgress } from '../../../src-main/core/pipeline/types';
import { fixtureKinds, fixtureModel } from '../../fixtures/models';
import { type Harness, bytesOf, makeHarness, smallRequest } from './pipeline-harness';

let harness: Harness;
beforeAll(async () => {
  harness = await makeHarness(['cpu']);
});
afterAll(async () => {
  await harness.dispose();
});

describe('text to image on every fixture kind with every scheduler', () => {
  it.each(fixtureKinds)('%s', async (kind) => {
    const model = await fixtureModel(kind);
    const outputs = new Set<string>();
    for (const scheduler of schedulerNames) {
      const [image, ...rest] = await harness.generate(smallRequest(model, { scheduler }));
      expect(rest).toHaveLength(0);
      expect(image!.width).toBe(64);
      expect(image!.height).toBe(64);
      expect(image!.rgb.length).toBe(64 * 64 * 3);
      expect(image!.metadata).toMatchObject({
        provider: 'cpu',
        placeholder: false,
        notes: [],
        scheduler,
        seed: '1234',
        modelId: model,
        modelName: kind,
        app: 'Easel test',
      });
      expect(image!.metadata.timings.perStepMs).toBeGreaterThan(0);
      outputs.add(bytesOf(image!).toString('base64'));
    }
    // The schedulers really drive the result: most of them give a different image.
    expect(outputs.size).toBeGreaterThan(5);
  });
});

describe('seeds', () => {
  it('give identical bytes for the same seed and different bytes for another', async () => {
    const model = await fixtureModel('sd15-optimum');
    const request = smallRequest(model, { scheduler: 'euler-a', steps: 3 });
    const [a] = await harness.generate(request);
    const [b] = await harness.generate(request);
    const [c] = await harness.generate({ ...request, seed: '1235' });
    expect(bytesOf(a!).equals(bytesOf(b!))).toBe(true);
    expect(bytesOf(a!).equals(bytesOf(c!))).toBe(false);
  });

  it('make image k of a batch equal to a single image with seed + k', async () => {
    const model = await fixtureModel('sd15-legacy');
    const batch = await harness.generate(smallRequest(model, { scheduler: 'euler-a', count: 3, seed: '77' }));
    expect(batch.map((image) => image.metadata.seed)).toEqual(['77', '78', '79']);
    for (let k = 0; k < 3; k++) {
      const [single] = await harness.generate(smallRequest(model, { scheduler: 'euler-a', seed: String(77 + k) }));
      expect(bytesOf(batch[k]!).equals(bytesOf(single!))).toBe(true);
    }
  });

  it('wrap past 2^64 - 1 and accept the largest seed', async () => {
    expect(seedFor('18446744073709551615', 1)).toBe('0');
    expect(seedFor('5', 2)).toBe('7');
    const model = await fixtureModel('sd15-optimum');
    const images = await harness.generate(smallRequest(model, { seed: '18446744073709551615', count: 2 }));
    expect(images.map((image) => image.metadata.seed)).toEqual(['18446744073709551615', '0']);
  });
});

describe('guidance', () => {
  it('changes the image of a base model', async () => {
    const model = await fixtureModel('sd15-optimum');
    const [weak] = await harness.generate(smallRequest(model, { guidance: 1 }));
    const [strong] = await harness.generate(smallRequest(model, { guidance: 7.5 }));
    expect(bytesOf(weak!).equals(bytesOf(strong!))).toBe(false);
  });

  it('runs Turbo without an unconditional batch: the negative prompt and guidance do nothing', async () => {
    const model = await fixtureModel('turbo');
    const [a] = await harness.generate(smallRequest(model, { guidance: 7.5, negativePrompt: 'blurry' }));
    const [b] = await harness.generate(smallRequest(model, { guidance: 0, negativePrompt: 'something else' }));
    expect(bytesOf(a!).equals(bytesOf(b!))).toBe(true);
  });

  it('feeds LCM the guidance embedding instead of an unconditional batch', async () => {
    const model = await fixtureModel('lcm');
    const request = smallRequest(model, { scheduler: 'lcm', negativePrompt: '' });
    const [a] = await harness.generate({ ...request, guidance: 8 });
    const [b] = await harness.generate({ ...request, guidance: 2 });
    const [c] = await harness.generate({ ...request, guidance: 8, negativePrompt: 'anything' });
    expect(bytesOf(a!).equals(bytesOf(b!))).toBe(false);
    expect(bytesOf(a!).equals(bytesOf(c!))).toBe(true);
  });

  it('zeroes the SDXL negative conditioning only for an empty negative prompt', async () => {
    const model = await fixtureModel('sdxl');
    const [empty] = await harness.generate(smallRequest(model, { negativePrompt: '' }));
    const [spaces] = await harness.generate(smallRequest(model, { negativePrompt: '   ' }));
    const [given] = await harness.generate(smallRequest(model, { negativePrompt: 'blurry' }));
    expect(bytesOf(empty!).equals(bytesOf(spaces!))).toBe(true);
    expect(bytesOf(empty!).equals(bytesOf(given!))).toBe(false);
  });

  it('encodes prompts past 75 tokens instead of cutting them', async () => {
    const model = await fixtureModel('sd15-optimum');
    const long = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
    const [a] = await harness.generate(smallRequest(model, { prompt: `${long} red` }));
    const [b] = await harness.generate(smallRequest(model, { prompt: `${long} blue` }));
    expect(bytesOf(a!).equals(bytesOf(b!))).toBe(false);
  });
});

describe('progress, previews and sessions', () => {
  it('reports every step with a preview at 1/8 size and reuses the sessions', async () => {
    const local = await makeHarness(['cpu']);
    try {
      const model = await fixtureModel('sd15-optimum');
      const events: GenerationProgress[] = [];
      await local.generate(smallRequest(model, { steps: 3, count: 2, preview: true }), {
        onProgress: (progress) => events.push(progress),
      });
      expect(events.map((e) => [e.image, e.step, e.totalSteps])).toEqual([
        [0, 1, 3],
        [0, 2, 3],
        [0, 3, 3],
        [1, 1, 3],
        [1, 2, 3],
        [1, 3, 3],
      ]);
      expect(events.every((e) => e.provider === 'cpu' && e.preview?.width === 8 && e.preview.height === 8)).toBe(true);
      expect(events[0]!.preview!.rgb.length).toBe(8 * 8 * 3);
      expect(events.at(-1)!.etaMs).toBe(0);
      const sessionsAfterFirst = local.created.length;
      expect(sessionsAfterFirst).toBe(3); // text encoder, UNet, VAE decoder
      await local.generate(smallRequest(model));
      await local.generate(smallRequest(model, { scheduler: 'ddim', seed: '9' }));
      expect(local.created.length).toBe(sessionsAfterFirst);

      // dispose() frees every session; the pipeline loads them again when used after it.
      await local.pipeline.dispose();
      expect(local.sessions.size).toBe(0);
      expect(local.created.slice(0, sessionsAfterFirst).every((session) => session.isReleased)).toBe(true);
      await local.generate(smallRequest(model));
      expect(local.created.length).toBe(2 * sessionsAfterFirst);
    } finally {
      await local.dispose();
    }
  });
});

describe('cancelling', () => {
  it('stops between steps with a cancelled error and leaves no session busy', async () => {
    const local = await makeHarness(['cpu']);
    try {
      const model = await fixtureModel('sd15-optimum');
      const controller = new AbortController();
      const steps: number[] = [];
      await expect(
        local.generate(smallRequest(model, { steps: 4 }), {
          signal: controller.signal,
          onProgress: (progress) => {
            steps.push(progress.step);
            if (progress.step === 2) controller.abort();
          },
        }),
      ).rejects.toMatchObject({ code: 'cancelled' });
      expect(steps).toEqual([1, 2]);
      expect(local.created.every((session) => !session.busy && !session.isReleased)).toBe(true);
      // Cancelling is not a provider failure: nothing is marked bad and the next run works on the same sessions.
      expect(local.health.badProviders(model)).toEqual([]);
      const created = local.created.length;
      const [image] = await local.generate(smallRequest(model));
      expect(image!.metadata.provider).toBe('cpu');
      expect(local.created.length).toBe(created);
    } finally {
      await local.dispose();
    }
  });

  it('does nothing for a signal aborted before the start', async () => {
    const local = await makeHarness(['cpu']);
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(
        local.generate(smallRequest(await fixtureModel('sd15-optimum')), { signal: controller.signal }),
      ).rejects.toMatchObject({ code: 'cancelled' });
      expect(local.created).toHaveLength(0);
    } finally {
      await local.dispose();
    }
  });
});
