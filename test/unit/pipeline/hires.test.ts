import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { generateImages } from '../../../src-main/core/pipeline/hires';
import { generationParams } from '../../../src-main/core/pipeline/params';
import type { GenerationProgress } from '../../../src-main/core/pipeline/types';
import { hiresUpscaler } from '../../../src-main/core/upscale/hires-upscaler';
import { lanczosResize } from '../../../src-main/core/upscale/resample';
import { fixtureModel } from '../../fixtures/models';
import { makeHarness, smallRequest, type Harness } from './pipeline-harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.dispose();
  harness = undefined;
});

describe('hires fix on a fixture model', () => {
  it('is the first pass, Lanczos-enlarged, redrawn by img2img with the same seed: byte for byte', async () => {
    harness = await makeHarness();
    const dir = await fixtureModel('sd15-legacy');
    const folder = await readModelFolder(dir);
    const model = { id: dir, name: folder.name, folder };
    const request = smallRequest(dir, { steps: 4, count: 2, seed: '99' });
    const progress: GenerationProgress[] = [];
    const hires = await generateImages(
      harness.pipeline,
      generationParams({ ...request, hires: { scale: 1.5, strength: 0.5, upscaler: 'lanczos' } }),
      model,
      { onProgress: (p) => progress.push(p) },
      hiresUpscaler(async () => []),
    );
    expect(hires.map((image) => [image.width, image.height])).toEqual([[96, 96], [96, 96]]);

    for (const [k, image] of hires.entries()) {
      const seed = String(99 + k);
      const [first] = await harness.generate({ ...request, count: 1, seed });
      const enlarged = await lanczosResize({ data: first!.rgb, width: 64, height: 64 }, 96, 96);
      const png = await sharp(Buffer.from(enlarged.data), { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer();
      const [second] = await harness.generate({ ...request, count: 1, seed, width: 96, height: 96, initImage: { data: png.toString('base64'), strength: 0.5 } });
      expect(Buffer.from(image.rgb).equals(Buffer.from(second!.rgb))).toBe(true);
      expect(image.metadata).toMatchObject({ seed, width: 64, height: 64, hiresScale: 1.5, hiresUpscaler: 'Lanczos', hiresStrength: 0.5 });
    }
    // 4 steps, then trunc(4 · 0.5) = 2 img2img steps, for each of the two images.
    expect(progress.map((p) => `${p.image}:${p.step}/${p.totalSteps}`)).toEqual(['0:1/6', '0:2/6', '0:3/6', '0:4/6', '0:5/6', '0:6/6', '1:1/6', '1:2/6', '1:3/6', '1:4/6', '1:5/6', '1:6/6']);
  });

  it('refuses a strength that leaves no redraw step, naming the field', async () => {
    harness = await makeHarness();
    const dir = await fixtureModel('sd15-legacy');
    const folder = await readModelFolder(dir);
    const params = generationParams({ ...smallRequest(dir, { steps: 2 }), hires: { scale: 2, strength: 0.2, upscaler: 'lanczos' } });
    await expect(generateImages(harness.pipeline, params, { id: dir, name: folder.name, folder }, {}, hiresUpscaler(async () => []))).rejects.toMatchObject({
      code: 'invalid_request',
      detail: { field: 'hires.strength' },
    });
  });
});
