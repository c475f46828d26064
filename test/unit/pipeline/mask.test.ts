import { describe, expect, it } from 'vitest';
import {
  binarizeMask,
  cropRegion,
  maskBounds,
  maskImageTensor,
  overlayMask,
  pasteWithMask,
  resizeMaskNearest,
} from '../../../src-main/core/pipeline/mask';

describe('masks', () => {
  it('binarises at 0.5 as diffusers: 127 keeps, 128 repaints', () => {
    expect(Array.from(binarizeMask(Uint8Array.from([0, 127, 128, 255])))).toEqual([0, 0, 1, 1]);
  });

  it("goes down to the latent grid as torch's nearest interpolate: the top-left pixel of each 8x8 block", () => {
    const mask = new Float32Array(16 * 16);
    mask[0 * 16 + 8] = 1; // block (0, 1)'s top-left pixel
    mask[9 * 16 + 1] = 1; // inside block (1, 0), not its top-left
    expect(Array.from(resizeMaskNearest(mask, 16, 16, 2, 2))).toEqual([0, 1, 0, 0]);
  });

  it('masks the image to 0 (mid-grey) where it is repainted', () => {
    const image = Float32Array.from([0.5, -1, 0.25, 1, -0.5, 0.75]); // [3, 1, 2]
    expect(Array.from(maskImageTensor(image, Float32Array.from([1, 0])))).toEqual([0, -1, 0, 1, 0, 0.75]);
  });

  it('blurs the overlay within 2.5 sigma, doubling it for the whole picture', () => {
    const width = 40;
    const mask = new Float32Array(width);
    mask.fill(1, 20);
    const soft = overlayMask(mask, width, 1, 4, false);
    const doubled = overlayMask(mask, width, 1, 4, true);
    expect(soft[9]).toBe(0); // 11 pixels out: past the kernel's radius of 10
    expect(soft[10]).toBeGreaterThan(0);
    expect(soft[19]! + soft[20]!).toBe(255); // symmetric around the edge
    expect(doubled[20]).toBe(255);
    expect(doubled[15]).toBe(Math.min(255, 2 * soft[15]!));
    expect(Array.from(overlayMask(mask, width, 1, 0, true))).toEqual(Array.from(mask, (m) => m * 255));
  });

  it('crops around the mask with padding, grown to the processing aspect ratio and kept inside the image', () => {
    const mask = new Uint8Array(100 * 80);
    for (let y = 30; y < 40; y++) mask.fill(255, y * 100 + 10, y * 100 + 30);
    const bounds = maskBounds(mask, 100, 80)!;
    expect(bounds).toEqual({ x1: 10, y1: 30, x2: 30, y2: 40 });
    // 20x10 plus 4 each side is 28x18; square processing grows the height to 28 around its centre.
    expect(cropRegion(bounds, 4, 100, 80, 512, 512)).toEqual({ x1: 6, y1: 21, x2: 34, y2: 49 });
    // Near the left edge a wide crop is shifted back inside.
    expect(cropRegion(bounds, 4, 100, 80, 1024, 256)).toEqual({ x1: 0, y1: 26, x2: 72, y2: 44 });
  });

  it("pastes over the original, keeping its bytes wherever the overlay is 0", () => {
    const original = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const generated = Uint8Array.from([200, 200, 200, 100, 100, 100, 0, 0, 0]);
    expect(Array.from(pasteWithMask(original, generated, Uint8Array.from([0, 255, 128])))).toEqual([
      10, 20, 30, 100, 100, 100, 35, 40, 45,
    ]);
  });
});
