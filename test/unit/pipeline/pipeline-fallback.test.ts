import { describe, expect, it } from 'vitest';
import { detectMachineProviders, providerOrder } from '../../../src-main/core/runtime/providers';
import { fixtureModel } from '../../fixtures/models';
import { makeHarness, smallRequest } from './pipeline-harness';

// This machine (and CI's) has no GPU: onnxruntime-node lists WebGPU, but it finds no adapter.
const machineOrder = providerOrder(detectMachineProviders());

describe('execution provider fallback', () => {
  it('falls back from a requested WebGPU to the CPU and says why', async () => {
    expect(machineOrder.at(-1)).toBe('cpu');
    const harness = await makeHarness(machineOrder);
    try {
      const model = await fixtureModel('sd15-optimum');
      const [image] = await harness.generate(smallRequest(model, { provider: 'webgpu' }));
      expect(image!.metadata.provider).toBe('cpu');
      expect(image!.metadata.placeholder).toBe(false);
      expect(image!.metadata.notes).toHaveLength(1);
      expect(image!.metadata.notes[0]).toBe('WebGPU skipped: no compatible graphics adapter on this computer');
      expect(harness.health.isBad(model, 'webgpu')).toBe(true);

      // The next generation does not try WebGPU again, and says so.
      const [again] = await harness.generate(smallRequest(model));
      expect(again!.metadata.provider).toBe('cpu');
      expect(again!.metadata.notes).toEqual(['WebGPU skipped: it failed before on this model (no compatible graphics adapter on this computer)']);
    } finally {
      await harness.dispose();
    }
  });

  it('runs on the requested provider first when it works', async () => {
    const harness = await makeHarness(['webgpu', 'cpu']);
    try {
      const [image] = await harness.generate(smallRequest(await fixtureModel('sd15-optimum'), { provider: 'cpu' }));
      expect(image!.metadata.provider).toBe('cpu');
      expect(image!.metadata.notes).toEqual([]);
    } finally {
      await harness.dispose();
    }
  });

  it('draws labelled placeholders when every provider fails (a UNet that gives NaN)', async () => {
    const harness = await makeHarness(['webgpu', 'cpu']);
    try {
      const model = await fixtureModel('sd15-optimum', { nan: true });
      const images = await harness.generate(smallRequest(model, { count: 2, seed: '10' }));
      expect(images).toHaveLength(2);
      for (const [k, image] of images.entries()) {
        expect(image.rgb.length).toBe(64 * 64 * 3);
        expect(image.metadata).toMatchObject({ provider: 'placeholder', placeholder: true, seed: String(10 + k), steps: 2 });
        expect(image.metadata.notes[0]).toMatch(/^WebGPU skipped/);
        expect(image.metadata.notes[1]).toBe('CPU skipped: the UNet produced NaN or infinite values');
        expect(image.metadata.notes.at(-1)).toMatch(/Placeholder drawn: every execution provider failed/);
      }
      expect(harness.health.badProviders(model).map((bad) => bad.provider).sort()).toEqual(['cpu', 'webgpu']);

      // With every provider known bad, the next request tries them all again rather than give up untried.
      const [retry] = await harness.generate(smallRequest(model));
      expect(retry!.metadata.placeholder).toBe(true);
      expect(retry!.metadata.notes[1]).toBe('CPU skipped: the UNet produced NaN or infinite values');
    } finally {
      await harness.dispose();
    }
  });

  it('forgets a provider that failed before once it works again', async () => {
    const harness = await makeHarness(['cpu']);
    try {
      const model = await fixtureModel('sd15-optimum');
      await harness.health.markBad(model, 'cpu', 'a driver crash last week');
      const [image] = await harness.generate(smallRequest(model));
      expect(image!.metadata.provider).toBe('cpu');
      expect(harness.health.isBad(model, 'cpu')).toBe(false);
    } finally {
      await harness.dispose();
    }
  });

  it('without fallback runs only the provider asked for, and draws a placeholder when it fails', async () => {
    const harness = await makeHarness(machineOrder);
    try {
      const model = await fixtureModel('sd15-optimum');
      const [image] = await harness.generate(smallRequest(model, { provider: 'webgpu' }), { fallback: false });
      expect(image!.metadata).toMatchObject({ provider: 'placeholder', placeholder: true });
      expect(image!.metadata.notes[0]).toMatch(/^WebGPU skipped/);
      expect(image!.metadata.notes.some((note) => note.startsWith('CPU'))).toBe(false);
    } finally {
      await harness.dispose();
    }
  });

  it("takes 'auto' as the provider chosen in Settings before the machine's order", async () => {
    const harness = await makeHarness(['webgpu', 'cpu'], () => 'cpu');
    try {
      const [image] = await harness.generate(smallRequest(await fixtureModel('sd15-optimum'), { provider: 'auto' }));
      expect(image!.metadata.provider).toBe('cpu');
      // WebGPU, first in the machine's order, was never tried.
      expect(image!.metadata.notes).toEqual([]);
    } finally {
      await harness.dispose();
    }
  });
});
