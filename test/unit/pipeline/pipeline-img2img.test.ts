import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import type { GenerationProgress } from '../../../src-main/core/pipeline/types';
import { fixtureModel } from '../../fixtures/models';
import { type Harness, bytesOf, makeHarness, smallRequest } from './pipeline-harness';

let harness: Harness;
let stripes: string;
let dots: string;
beforeAll(async () => {
  harness = await makeHarness(['cpu']);
  stripes = await testImage(96, 80, (x, y) => [x % 16 < 8 ? 230 : 20, (y * 3) % 255, 120], 'png');
  dots = await testImage(64, 64, (x, y) => [(x * y) % 255, 60, (x + y) % 2 === 0 ? 250 : 0], 'jpeg');
});
afterAll(async () => {
  await harness.dispose();
});

async function testImage(width: number, height: number, pixel: (x: number, y: number) => number[], format: 'png' | 'jpeg') {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(pixel(x, y), (y * width + x) * 3);
  const encoded = await sharp(rgb, { raw: { width, height, channels: 3 } })[format]().toBuffer();
  return encoded.toString('base64');
}

describe.each([
  ['sd15-legacy', 'latent_sample'],
  ['sd15-optimum', 'latent_parameters'],
] as const)('image to image on %s (VAE encoder gives %s)', (kind, output) => {
  it('reads the encoder output the export has', async () => {
    const folder = await readModelFolder(await fixtureModel(kind));
    const encoder = await harness.sessions.get(folder.dir, 'vae_encoder', 'cpu', { cpuThreads: 1 });
    expect(encoder.outputs.map((o) => o.name)).toEqual([output]);
  });

  it('starts from the image, deterministically, running round(steps * strength) steps', async () => {
    const model = await fixtureModel(kind);
    const events: GenerationProgress[] = [];
    const request = smallRequest(model, { steps: 4, initImage: { data: stripes, strength: 0.5 } });
    const [a] = await harness.generate(request, { onProgress: (p) => events.push(p) });
    const [again] = await harness.generate(request);
    const [otherImage] = await harness.generate({ ...request, initImage: { data: dots, strength: 0.5 } });
    const [txt2img] = await harness.generate({ ...request, initImage: undefined });
    expect(a!.rgb.length).toBe(64 * 64 * 3);
    expect(a!.metadata.strength).toBe(0.5);
    expect(events.map((e) => e.step)).toEqual([1, 2]);
    expect(events[0]!.totalSteps).toBe(2);
    expect(bytesOf(a!).equals(bytesOf(again!))).toBe(true);
    expect(bytesOf(a!).equals(bytesOf(otherImage!))).toBe(false);
    expect(bytesOf(a!).equals(bytesOf(txt2img!))).toBe(false);
  });

  it('moves further from the image as strength rises', async () => {
    const model = await fixtureModel(kind);
    const request = smallRequest(model, { steps: 4, scheduler: 'ddim' });
    const [low] = await harness.generate({ ...request, initImage: { data: stripes, strength: 0.25 } });
    const [full] = await harness.generate({ ...request, initImage: { data: stripes, strength: 1 } });
    expect(bytesOf(low!).equals(bytesOf(full!))).toBe(false);
  });
});

describe('image to image requests that cannot run', () => {
  it('names the field of an image that is not an image', async () => {
    const model = await fixtureModel('sd15-optimum');
    const request = smallRequest(model, { initImage: { data: Buffer.from('not an image').toString('base64'), strength: 0.5 } });
    await expect(harness.generate(request)).rejects.toMatchObject({
      code: 'invalid_request',
      detail: { field: 'initImage.data' },
    });
  });

  it('refuses a model without a VAE encoder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'easel-noenc-'));
    try {
      await cp(await fixtureModel('sd15-optimum'), dir, { recursive: true });
      await rm(path.join(dir, 'vae_encoder'), { recursive: true });
      const request = smallRequest(dir, { initImage: { data: stripes, strength: 0.5 } });
      await expect(harness.generate(request)).rejects.toMatchObject({
        code: 'invalid_request',
        detail: { field: 'initImage' },
        message: expect.stringContaining('no VAE encoder'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a strength that leaves no step to run', async () => {
    const model = await fixtureModel('sd15-optimum');
    const request = smallRequest(model, { steps: 2, initImage: { data: stripes, strength: 0.1 } });
    await expect(harness.generate(request)).rejects.toMatchObject({
      code: 'invalid_request',
      detail: { field: 'initImage.strength' },
    });
  });
});
