/**
 * img2img and inpainting against diffusers v0.25's pipeline math: test/fixtures/reference/edit-reference.json
 * holds what tools/reference/edit_reference.py computed in torch, with diffusers' own schedulers (the version
 * ../shared/golden follows) and a CPU generator, on the stand-in networks that test/fixtures/reference-models.ts builds as ONNX graphs. Same seed,
 * same draws in the same order, same images.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchedulerName } from '../../../src-preload/api';
import { createReferenceModel } from '../../fixtures/reference-models';
import { type Harness, makeHarness, smallRequest } from './pipeline-harness';

interface ReferenceCase {
  kind: 'img2img' | 'inpaint-9' | 'inpaint-4';
  scheduler: SchedulerName;
  strength: number;
  steps: number;
  guidance: number;
  seed: number;
  prompt: string;
  negativePrompt: string;
  expected: string;
}

const reference = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/reference/edit-reference.json'), 'utf8')) as {
  width: number;
  height: number;
  image: string;
  mask: string;
  cases: ReferenceCase[];
};
const unpack = (packed: string) => new Uint8Array(inflateSync(Buffer.from(packed, 'base64')));
const { width, height } = reference;

/** The pixels the reference keeps: (8 by + 1, 8 bx + 2) and (8 by + 5, 8 bx + 6) of every block. */
function sampled(rgb: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let by = 0; by < height / 8; by++) {
    for (let bx = 0; bx < width / 8; bx++) {
      for (const [dy, dx] of [
        [1, 2],
        [5, 6],
      ] as const) {
        const p = ((by * 8 + dy) * width + bx * 8 + dx) * 3;
        out.push(rgb[p]!, rgb[p + 1]!, rgb[p + 2]!);
      }
    }
  }
  return Uint8Array.from(out);
}

describe('img2img and inpainting reproduce diffusers v0.25', () => {
  let harness: Harness;
  let dir: string;
  const models: Record<4 | 9, string> = { 4: '', 9: '' };
  let image: string;
  let mask: string;

  beforeAll(async () => {
    harness = await makeHarness();
    dir = await mkdtemp(path.join(os.tmpdir(), 'easel-reference-'));
    for (const channels of [4, 9] as const) {
      models[channels] = path.join(dir, `unet-${channels}`);
      await createReferenceModel(models[channels], channels);
    }
    image = (await sharp(unpack(reference.image), { raw: { width, height, channels: 3 } }).png().toBuffer()).toString('base64');
    mask = (await sharp(unpack(reference.mask), { raw: { width, height, channels: 1 } }).png().toBuffer()).toString('base64');
  });

  afterAll(async () => {
    await harness.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  for (const c of reference.cases) {
    it(`${c.kind} with ${c.scheduler} at strength ${c.strength}`, async () => {
      const inpaint = c.kind !== 'img2img';
      const request = smallRequest(models[c.kind === 'inpaint-9' ? 9 : 4], {
        prompt: c.prompt,
        negativePrompt: c.negativePrompt,
        steps: c.steps,
        guidance: c.guidance,
        scheduler: c.scheduler,
        seed: String(c.seed),
        width,
        height,
        provider: 'cpu',
        initImage: { data: image, strength: c.strength, ...(inpaint ? { mask, maskBlur: 0 } : {}) },
      });
      const [result] = await harness.generate(request);
      const actual = sampled(result!.rgb);
      const expected = unpack(c.expected);
      expect(actual.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
      // Bit-exact here; float32 sums in another order (another CPU's ONNX Runtime kernels) may move a byte by one.
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});
