import { float16Values } from '../runtime/float16';
import type { LatentPreview } from './types';

/**
 * Classifier-free guidance from the UNet's unconditional and conditional rows:
 * out = uncond + scale * (cond - uncond), written into `out` (the length of one row).
 */
export function combineGuidance(uncond: Float32Array, cond: Float32Array, scale: number, out: Float32Array): Float32Array {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const u = uncond[i]!;
    out[i] = u + scale * (cond[i]! - u);
  }
  return out;
}

/**
 * The same from a float16 UNet's output as it comes (bit patterns), each row read once and converted on
 * the way: the same float32 values as converting both rows first.
 */
export function combineGuidanceFloat16(uncond: Uint16Array, cond: Uint16Array, scale: number, out: Float32Array): Float32Array {
  const values = float16Values();
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const u = values[uncond[i]!]!;
    out[i] = u + scale * (values[cond[i]!]! - u);
  }
  return out;
}

/**
 * diffusers' `get_guidance_scale_embedding` for LCM UNets: a sinusoidal embedding of w*1000 with
 * sin in the first half and cos in the second, zero-padded when `dim` is odd.
 */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const half = Math.floor(dim / 2);
  if (half === 0) return out;
  const step = Math.log(10000) / Math.max(1, half - 1);
  const scaled = Math.fround(w * 1000);
  for (let i = 0; i < half; i++) {
    const angle = Math.fround(scaled * Math.fround(Math.exp(-step * i)));
    out[i] = Math.sin(angle);
    out[half + i] = Math.cos(angle);
  }
  return out;
}

/**
 * A1111's prompt weighting for one chunk of token embeddings [tokens, dim]: each token's vector is
 * multiplied by its weight, then the whole chunk is rescaled so its mean is what it was before.
 */
export function applyTokenWeights(embeddings: Float32Array, weights: readonly number[], dim: number): void {
  if (weights.every((w) => w === 1)) return;
  let before = 0;
  for (let i = 0; i < embeddings.length; i++) before += embeddings[i]!;
  let after = 0;
  for (let token = 0; token < weights.length; token++) {
    const weight = weights[token]!;
    const offset = token * dim;
    for (let d = 0; d < dim; d++) {
      const value = embeddings[offset + d]! * weight;
      embeddings[offset + d] = value;
      after += value;
    }
  }
  if (after === 0) return;
  const rescale = before / after;
  for (let i = 0; i < embeddings.length; i++) embeddings[i]! *= rescale;
}

/** Linear latent -> RGB factors (rows: latent channels; columns: R, G, B) and bias, as ComfyUI/A1111 previews use. */
const SD_PREVIEW = {
  factors: [
    [0.3512, 0.2297, 0.3227],
    [0.325, 0.4974, 0.235],
    [-0.2829, 0.1762, 0.2721],
    [-0.212, -0.2616, -0.7177],
  ],
  bias: [0, 0, 0],
};
const SDXL_PREVIEW = {
  factors: [
    [0.3651, 0.4232, 0.4341],
    [-0.2533, -0.0042, 0.1068],
    [0.1076, 0.1111, -0.0362],
    [-0.3165, -0.2492, -0.2188],
  ],
  bias: [0.1084, -0.0175, -0.0011],
};

/**
 * A cheap preview of unscaled latents [1, 4, h, w] at latent resolution, no VAE involved. It runs at every
 * step, so the factors are folded into the [-1, 1] -> byte mapping and a clamped array does the rounding.
 */
interface Channel {
  f0: number;
  f1: number;
  f2: number;
  f3: number;
  offset: number;
}

export function previewLatents(latents: Float32Array, height: number, width: number, xl: boolean): LatentPreview {
  const { factors, bias } = xl ? SDXL_PREVIEW : SD_PREVIEW;
  const plane = height * width;
  const bytes = new Uint8ClampedArray(plane * 3);
  // byte = (value + 1) / 2 * 255 = value * 127.5 + 127.5; one pass reads each latent once for all three channels.
  const [r, g, b] = [0, 1, 2].map((c) => ({
    f0: factors[0]![c]! * 127.5,
    f1: factors[1]![c]! * 127.5,
    f2: factors[2]![c]! * 127.5,
    f3: factors[3]![c]! * 127.5,
    offset: (bias[c]! + 1) * 127.5,
  })) as [Channel, Channel, Channel];
  for (let p = 0, o = 0; p < plane; p++, o += 3) {
    const l0 = latents[p]!;
    const l1 = latents[plane + p]!;
    const l2 = latents[2 * plane + p]!;
    const l3 = latents[3 * plane + p]!;
    bytes[o] = r.offset + l0 * r.f0 + l1 * r.f1 + l2 * r.f2 + l3 * r.f3;
    bytes[o + 1] = g.offset + l0 * g.f0 + l1 * g.f1 + l2 * g.f2 + l3 * g.f3;
    bytes[o + 2] = b.offset + l0 * b.f0 + l1 * b.f1 + l2 * b.f2 + l3 * b.f3;
  }
  return { rgb: new Uint8Array(bytes.buffer), width, height };
}

/** VAE output [1, 3, H, W] in [-1, 1] -> interleaved RGB bytes. */
export function imageTensorToRgb(image: Float32Array, height: number, width: number): Uint8Array {
  const plane = height * width;
  const rgb = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let p = 0; p < plane; p++) rgb[p * 3 + c] = toByte(image[offset + p]!);
  }
  return rgb;
}

/** Interleaved RGB bytes -> [1, 3, H, W] in [-1, 1], what the VAE encoder takes. */
export function rgbToImageTensor(rgb: Uint8Array, height: number, width: number): Float32Array {
  const plane = height * width;
  const tensor = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let p = 0; p < plane; p++) tensor[offset + p] = (rgb[p * 3 + c]! / 255) * 2 - 1;
  }
  return tensor;
}

/** [-1, 1] -> 0..255 as diffusers does: clamp((x + 1) / 2) * 255, rounded. */
function toByte(value: number): number {
  const unit = (value + 1) / 2;
  if (!(unit > 0)) return 0;
  if (unit >= 1) return 255;
  return Math.round(unit * 255);
}

export function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) return true;
  }
  return false;
}

/** True when every byte is (near) zero: what a broken fp16 VAE or a failing provider tends to give. */
export function isBlackImage(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i++) {
    if (rgb[i]! > 2) return false;
  }
  return true;
}
