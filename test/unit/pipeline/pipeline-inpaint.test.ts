import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GenerateRequest, generateRequestSchema, schedulerNames } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { fixtureModel, inpaintFixtureKinds } from '../../fixtures/models';
import { createReferenceModel } from '../../fixtures/reference-models';
import { type Harness, makeHarness, smallRequest } from './pipeline-harness';

const SIZE = 64;
/** The repainted rectangle of the test mask (x1, y1, x2, y2), white on black. */
const HOLE = [24, 16, 48, 40] as const;

let harness: Harness;
let picture: Uint8Array;
let picturePng: string;
let maskPng: string;

async function png(raw: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<string> {
  return (await sharp(raw, { raw: { width, height, channels } }).png().toBuffer()).toString('base64');
}

function rectangleMask(width: number, height: number, [x1, y1, x2, y2]: readonly number[]): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = y1!; y < y2!; y++) mask.fill(255, y * width + x1!, y * width + x2!);
  return mask;
}

/** Pixels farther than `margin` from the rectangle, where the final paste must keep the original exactly. */
function outside(x: number, y: number, [x1, y1, x2, y2]: readonly number[], margin: number): boolean {
  return x < x1! - margin || x >= x2! + margin || y < y1! - margin || y >= y2! + margin;
}

function pixel(rgb: Uint8Array, width: number, x: number, y: number): number[] {
  const p = (y * width + x) * 3;
  return [rgb[p]!, rgb[p + 1]!, rgb[p + 2]!];
}

function inpaintRequest(model: string, overrides: Partial<GenerateRequest['initImage']> = {}, request: Partial<GenerateRequest> = {}) {
  return smallRequest(model, {
    ...request,
    initImage: { data: picturePng, strength: 1, mask: maskPng, ...overrides },
  });
}

beforeAll(async () => {
  harness = await makeHarness(['cpu']);
  picture = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < picture.length; i++) picture[i] = (i * 37 + Math.floor(i / 192) * 11) % 256;
  picturePng = await png(picture, SIZE, SIZE, 3);
  maskPng = await png(rectangleMask(SIZE, SIZE, HOLE), SIZE, SIZE, 1);
});
afterAll(async () => {
  await harness.dispose();
});

describe('inpainting on every inpainting kind and a regular UNet, with every scheduler', () => {
  it.each([...inpaintFixtureKinds, 'sd15-optimum', 'sdxl'] as const)('%s', async (kind) => {
    const model = await fixtureModel(kind);
    for (const scheduler of schedulerNames) {
      const [image] = await harness.generate(inpaintRequest(model, {}, { scheduler }));
      expect(image!.width).toBe(SIZE);
      let changed = 0;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          // A mask blur of 4 reaches int(2.5 * 4 + 0.5) = 10 pixels past the mask; beyond, the original stays.
          if (outside(x, y, HOLE, 10)) expect(pixel(image!.rgb, SIZE, x, y)).toEqual(pixel(picture, SIZE, x, y));
          else if (!outside(x, y, HOLE, 0) && pixel(image!.rgb, SIZE, x, y).join() !== pixel(picture, SIZE, x, y).join()) changed++;
        }
      }
      expect(changed).toBeGreaterThan(24 * 24 * 0.5);
      expect(image!.metadata).toMatchObject({ scheduler, strength: 1, maskBlur: 4, inpaintArea: 'whole', maskedContent: 'original' });
    }
  });
});

describe('inpainting options', () => {
  it('starts from the noised image below strength 1, on inpainting and regular UNets, and the fill changes it', async () => {
    for (const kind of ['sd15-inpaint-optimum', 'sd15-optimum'] as const) {
      const model = await fixtureModel(kind);
      const [low] = await harness.generate(inpaintRequest(model, { strength: 0.5, maskBlur: 0 }, { steps: 4 }));
      const [full] = await harness.generate(inpaintRequest(model, { strength: 1, maskBlur: 0 }, { steps: 4 }));
      const [noise] = await harness.generate(inpaintRequest(model, { strength: 0.5, maskBlur: 0, fill: 'noise' }, { steps: 4 }));
      expect(Buffer.from(low!.rgb).equals(Buffer.from(full!.rgb))).toBe(false);
      expect(Buffer.from(low!.rgb).equals(Buffer.from(noise!.rgb))).toBe(false);
      expect(noise!.metadata.maskedContent).toBe('noise');
      // Without blur every pixel outside the mask is the original's.
      for (const image of [low!, full!, noise!]) {
        for (let y = 0; y < SIZE; y++) {
          for (let x = 0; x < SIZE; x++) {
            if (outside(x, y, HOLE, 0)) expect(pixel(image.rgb, SIZE, x, y)).toEqual(pixel(picture, SIZE, x, y));
          }
        }
      }
    }
  });

  it('makes image k of a batch as seed + k alone would', async () => {
    const model = await fixtureModel('sd15-inpaint-legacy');
    const [, second] = await harness.generate(inpaintRequest(model, { strength: 0.6 }, { count: 2, seed: '40' }));
    const [alone] = await harness.generate(inpaintRequest(model, { strength: 0.6 }, { seed: '41' }));
    expect(Buffer.from(second!.rgb).equals(Buffer.from(alone!.rgb))).toBe(true);
    expect(second!.metadata.seed).toBe('41');
  });

  it('takes a mask of any size with the image aspect ratio', async () => {
    const model = await fixtureModel('sd15-optimum');
    const small = await png(rectangleMask(16, 16, HOLE.map((v) => v / 4)), 16, 16, 1);
    const [image] = await harness.generate(inpaintRequest(model, { mask: small, maskBlur: 0 }));
    // Scaled up 4x (Lanczos, then binarised) its edges may move by a pixel; well inside and outside they may not.
    let changed = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const same = pixel(image!.rgb, SIZE, x, y).join() === pixel(picture, SIZE, x, y).join();
        if (outside(x, y, HOLE, 2)) expect(same).toBe(true);
        else if (!outside(x, y, [HOLE[0] + 2, HOLE[1] + 2, HOLE[2] - 2, HOLE[3] - 2], 0) && !same) changed++;
      }
    }
    expect(changed).toBeGreaterThan(20 * 20 * 0.5);
  });

  it('repaints only a crop around the mask at the native size, pasted back into the whole picture', async () => {
    const model = await fixtureModel('sd15-optimum');
    const [image] = await harness.generate(inpaintRequest(model, { inpaintArea: 'masked', maskPadding: 8, maskBlur: 0 }));
    expect([image!.width, image!.height]).toEqual([SIZE, SIZE]);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        if (outside(x, y, HOLE, 0)) expect(pixel(image!.rgb, SIZE, x, y)).toEqual(pixel(picture, SIZE, x, y));
      }
    }
    expect(image!.metadata).toMatchObject({ inpaintArea: 'masked', maskPadding: 8, maskBlur: 0 });
    const [whole] = await harness.generate(inpaintRequest(model, { maskBlur: 0 }));
    expect(Buffer.from(whole!.rgb).equals(Buffer.from(image!.rgb))).toBe(false);
  });

  it('repaints only masked at the size a fixed-shape UNet takes, whatever the crop', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'easel-fixed-'));
    try {
      // Pinned to 8x8 latents (64 pixels) while its config says 512.
      await createReferenceModel(dir, 9, 8);
      await writeFile(path.join(dir, 'unet/config.json'), JSON.stringify({ in_channels: 9, sample_size: 64 }));
      expect((await readModelFolder(dir)).nativeSize).toEqual({ width: 64, height: 64, fixed: true });
      const wideMask = await png(rectangleMask(SIZE, SIZE, [4, 28, 60, 36]), SIZE, SIZE, 1);
      const request = inpaintRequest(dir, { mask: wideMask, inpaintArea: 'masked', maskPadding: 0, maskBlur: 0 }, { prompt: 'cat' });
      const [image] = await harness.generate(request);
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          if (outside(x, y, [4, 28, 60, 36], 0)) expect(pixel(image!.rgb, SIZE, x, y)).toEqual(pixel(picture, SIZE, x, y));
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('outpaints: a larger canvas whose old area keeps the picture away from the seam', async () => {
    const model = await fixtureModel('sd15-inpaint-optimum');
    const request = smallRequest(model, {
      width: SIZE + 16,
      height: SIZE + 8,
      initImage: { data: picturePng, strength: 1, outpaint: { left: 16, top: 0, right: 0, bottom: 8 }, maskBlur: 2 },
    });
    const [image] = await harness.generate(request);
    expect([image!.width, image!.height]).toEqual([SIZE + 16, SIZE + 8]);
    // The seam band is 8 pixels into the old picture, the blur reaches int(2.5 * 2 + 0.5) = 5 further.
    for (let y = 0; y < SIZE - 8 - 5; y++) {
      for (let x = 8 + 5; x < SIZE; x++) expect(pixel(image!.rgb, SIZE + 16, x + 16, y)).toEqual(pixel(picture, SIZE, x, y));
    }
    expect(image!.metadata.outpaint).toEqual({ left: 16, top: 0, right: 0, bottom: 8 });
  });
});

describe('inpainting errors name the field', () => {
  async function rejects(request: GenerateRequest, field: string, mentions: string): Promise<void> {
    const error = await harness.generate(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('invalid_request');
    expect((error as EaselError).detail).toMatchObject({ field });
    expect((error as EaselError).message).toContain(mentions);
  }

  it('a mask of another aspect ratio, an empty mask, a mask that is no image', async () => {
    const model = await fixtureModel('sd15-optimum');
    const wide = await png(new Uint8Array(32 * 16).fill(255), 32, 16, 1);
    await rejects(inpaintRequest(model, { mask: wide }), 'initImage.mask', 'aspect ratio');
    const empty = await png(new Uint8Array(SIZE * SIZE), SIZE, SIZE, 1);
    await rejects(inpaintRequest(model, { mask: empty }), 'initImage.mask', 'empty');
    await rejects(inpaintRequest(model, { mask: Buffer.from('not an image').toString('base64') }), 'initImage.mask', 'PNG or JPEG');
  });

  it('mask options without a mask (at the boundary), and an inpainting model asked for text-to-image', async () => {
    const model = await fixtureModel('sd15-inpaint-legacy');
    const parsed = generateRequestSchema.safeParse(smallRequest(model, { initImage: { data: picturePng, strength: 0.5, maskBlur: 4 } }));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['initImage', 'maskBlur'], message: 'only applies with a mask or outpaint' });
    await rejects(smallRequest(model), 'initImage.mask', 'inpainting model');
  });
});
