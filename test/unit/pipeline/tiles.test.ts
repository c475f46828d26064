import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFull, encodeImage, runDecoder } from '../../../src-main/core/pipeline/decode';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { TorchCpuGenerator } from '../../../src-main/core/pipeline/rng';
import {
  type Planes,
  decodeNeedsTiles,
  encodeNeedsTiles,
  tileSizes,
  tiledDecode,
} from '../../../src-main/core/pipeline/tiles';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';

const sessions: OnnxSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
});

async function part(kind: 'sd15-optimum' | 'sd15-legacy', name: string): Promise<OnnxSession> {
  const session = await OnnxSession.create(path.join(await fixtureModel(kind), name, 'model.onnx'), 'cpu');
  sessions.push(session);
  return session;
}

/** Nearest x8 upsampling of the first three channels: what a decoder that looks at one latent pixel would do. */
async function pointwiseDecode(tile: Planes): Promise<Planes> {
  const height = tile.height * 8;
  const width = tile.width * 8;
  const data = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        data[(c * height + y) * width + x] = tile.data[(c * tile.height + (y >> 3)) * tile.width + (x >> 3)]!;
      }
    }
  }
  return { data, channels: 3, height, width };
}

function difference(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('tiled VAE decoding and encoding (diffusers enable_vae_tiling)', () => {
  it("derives diffusers' tile sizes and uses tiles only past one tile", () => {
    const sd15 = tileSizes(512);
    expect(sd15).toEqual({ sample: 512, latent: 64, overlap: 0.25 });
    expect(tileSizes(1024).latent).toBe(128);
    expect(decodeNeedsTiles(64, 64, sd15)).toBe(false);
    expect(decodeNeedsTiles(64, 72, sd15)).toBe(true);
    expect(encodeNeedsTiles(512, 512, sd15)).toBe(false);
    expect(encodeNeedsTiles(520, 512, sd15)).toBe(true);
  });

  it("blends each tile into its left neighbour over diffusers' linear ramp", async () => {
    // 12 latent columns, tiles of 8 every 6: two tiles, decoded to the constants 0 and 1.
    const latents = { data: new Float32Array(12), channels: 1, height: 1, width: 12 };
    let index = 0;
    const image = await tiledDecode(latents, tileSizes(64), async (tile) => {
      const value = index++;
      return { data: new Float32Array(8 * tile.height * 8 * tile.width).fill(value), channels: 1, height: tile.height * 8, width: tile.width * 8 };
    });
    expect(image).toMatchObject({ channels: 1, height: 8, width: 96 });
    const row = Array.from(image.data.subarray(0, 96));
    // Each tile keeps 64 - 16 columns; the second one's first 16 fade in from the first's last 16.
    expect(row.slice(0, 48)).toEqual(new Array(48).fill(0));
    expect(row.slice(48, 64)).toEqual(Array.from({ length: 16 }, (_, x) => x / 16));
    expect(row.slice(64)).toEqual(new Array(32).fill(1));
  });

  it('gives exactly the whole result for a decoder that looks at one latent pixel, edge tiles included', async () => {
    const generator = new TorchCpuGenerator(3);
    const latents = { data: generator.randn(4 * 50 * 37), channels: 4, height: 50, width: 37 };
    const whole = await pointwiseDecode(latents);
    const tiled = await tiledDecode(latents, tileSizes(128), pointwiseDecode);
    expect(tiled).toMatchObject({ channels: 3, height: 400, width: 296 });
    expect(difference(tiled.data, whole.data).max).toBeLessThan(1e-6);
  });

  it('stays within a small measured error of the whole decode with a real decoder', async () => {
    const decoder = await part('sd15-optimum', 'vae_decoder');
    const folder = await readModelFolder(await fixtureModel('sd15-optimum'));
    const tiles = tileSizes(folder.vaeSampleSize, folder.vaeBlockCount);
    expect(tiles).toEqual({ sample: 512, latent: 64, overlap: 0.25 });
    const dims = [4, 80, 72] as const;
    const latents = new TorchCpuGenerator(11).randn(dims[0] * dims[1] * dims[2]);
    const whole = await runDecoder(decoder, latents, dims);
    const tiled = await decodeFull(decoder, latents, dims, tiles);
    // The fixture decoder sees a 3x3 neighbourhood of latents, so a tile's outermost latent row decodes
    // differently from the whole; the ramps give those rows little weight. Measured: max 0.128, mean 0.00043.
    const error = difference(tiled, whole);
    expect(error.max).toBeGreaterThan(0);
    expect(error.max).toBeLessThan(0.15);
    expect(error.mean).toBeLessThan(0.002);
  });

  it('encodes a large image in tiles within a small measured error of the whole encode', async () => {
    const encoder = await part('sd15-optimum', 'vae_encoder');
    const height = 640;
    const width = 576;
    const image = Float32Array.from({ length: 3 * height * width }, (_, i) => Math.sin(i * 0.0007) * Math.cos(i * 0.013));
    const tiled = await encodeImage(encoder, image, height, width, tileSizes(512));
    const whole = await encodeImage(encoder, image, height, width, tileSizes(1024));
    expect(tiled.length).toBe(8 * (height / 8) * (width / 8));
    // Measured: max 0.080, mean 0.00041.
    const error = difference(tiled, whole);
    expect(error.max).toBeGreaterThan(0);
    expect(error.max).toBeLessThan(0.1);
    expect(error.mean).toBeLessThan(0.002);
  });
});
