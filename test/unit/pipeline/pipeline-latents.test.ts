import { describe, expect, it } from 'vitest';
import {
  applyTokenWeights,
  combineGuidance,
  combineGuidanceFloat16,
  guidanceScaleEmbedding,
  imageTensorToRgb,
  isBlackImage,
  previewLatents,
  rgbToImageTensor,
} from '../../../src-main/core/pipeline/latents';
import { float16ToFloat32 } from '../../../src-main/core/runtime/float16';

describe('combineGuidance', () => {
  it('computes uncond + scale * (cond - uncond) from the two rows', () => {
    const out = combineGuidance(Float32Array.from([1, 2]), Float32Array.from([3, 5]), 7.5, new Float32Array(2));
    expect(Array.from(out)).toEqual([1 + 7.5 * 2, 2 + 7.5 * 3]);
  });

  it('gives the same float32 values from float16 rows as converting both rows first', () => {
    // Every float16 pattern as the unconditional row against a spread of conditional ones: normals,
    // subnormals, signed zeros, infinities and NaN, with a scale that is not a power of two.
    const uncond = new Uint16Array(65536).map((_, i) => i);
    const cond = uncond.map((_, i) => Math.imul(i, 40503) & 0xffff);
    const fused = combineGuidanceFloat16(uncond, cond, 7.3, new Float32Array(65536));
    const converted = combineGuidance(float16ToFloat32(uncond), float16ToFloat32(cond), 7.3, new Float32Array(65536));
    const mismatches = fused.filter((value, i) => !Object.is(value, converted[i]) && !(Number.isNaN(value) && Number.isNaN(converted[i])));
    expect(mismatches.length).toBe(0);
    expect(fused[0x3c00]).toBe(1 + 7.3 * (float16ToFloat32(cond.subarray(0x3c00, 0x3c01))[0]! - 1));
    expect(Number.isNaN(fused[0x7c00]!) || fused[0x7c00] === Infinity).toBe(true);
  });
});

describe('guidanceScaleEmbedding', () => {
  it('matches diffusers get_guidance_scale_embedding', () => {
    const embedding = guidanceScaleEmbedding(7, 256);
    expect(embedding.length).toBe(256);
    // Index 0: sin(w*1000 * exp(0)); index 128: cos of the same angle; the last frequency is 1/10000.
    expect(embedding[0]).toBeCloseTo(Math.sin(7000), 5);
    expect(embedding[128]).toBeCloseTo(Math.cos(7000), 5);
    expect(embedding[127]).toBeCloseTo(Math.sin(7000 / 10000), 5);
    expect(embedding[255]).toBeCloseTo(Math.cos(7000 / 10000), 5);
    const zero = guidanceScaleEmbedding(0, 6);
    expect(Array.from(zero)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(guidanceScaleEmbedding(1, 5)[4]).toBe(0);
  });
});

describe('applyTokenWeights', () => {
  it('scales each token by its weight, then restores the original mean (A1111)', () => {
    const embeddings = Float32Array.from([1, 2, 3, 4, 5, 6]);
    applyTokenWeights(embeddings, [1, 2, 1], 2);
    const mean = embeddings.reduce((a, b) => a + b, 0) / embeddings.length;
    expect(mean).toBeCloseTo(21 / 6, 5);
    // Token 1 (values 3, 4) was doubled relative to token 0 (values 1, 2).
    expect(embeddings[2]! / embeddings[0]!).toBeCloseTo(6, 5);
  });

  it('leaves unweighted chunks exactly as they are', () => {
    const embeddings = Float32Array.from([0.1, -0.2, 0.3]);
    applyTokenWeights(embeddings, [1, 1, 1], 1);
    expect(Array.from(embeddings)).toEqual(Array.from(Float32Array.from([0.1, -0.2, 0.3])));
  });
});

describe('pixels', () => {
  it('maps [-1, 1] planes to interleaved bytes and back', () => {
    const tensor = Float32Array.from([-1, 1, 0, 2, -2, 0.5]); // 1x2 image, planes R, G, B
    const rgb = imageTensorToRgb(tensor, 1, 2);
    expect(Array.from(rgb)).toEqual([0, 128, 0, 255, 255, 191]);
    const back = rgbToImageTensor(rgb, 1, 2);
    expect(back[0]).toBe(-1);
    expect(back[2]).toBeCloseTo(0.0039, 3);
  });

  it('turns NaN into black and recognises black images', () => {
    const rgb = imageTensorToRgb(Float32Array.from([Number.NaN, Number.NaN, Number.NaN]), 1, 1);
    expect(Array.from(rgb)).toEqual([0, 0, 0]);
    expect(isBlackImage(rgb)).toBe(true);
    expect(isBlackImage(Uint8Array.from([0, 0, 40]))).toBe(false);
  });

  it('previews latents at latent size with the SD and SDXL factors', () => {
    const latents = new Float32Array(4 * 2 * 3).fill(0);
    latents[0] = 1; // channel 0, pixel 0
    const sd = previewLatents(latents, 2, 3, false);
    expect(sd.width).toBe(3);
    expect(sd.height).toBe(2);
    expect(sd.rgb.length).toBe(18);
    expect(Array.from(sd.rgb.slice(0, 3))).toEqual([172, 157, 169]);
    expect(Array.from(sd.rgb.slice(3, 6))).toEqual([128, 128, 128]);
    const xl = previewLatents(latents, 2, 3, true);
    expect(Array.from(xl.rgb.slice(3, 6))).toEqual([141, 125, 127]);
  });
});
