import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUpscalerFolder } from '../../../src-main/core/models/model-folder';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { sessionTileUpscaler } from '../../../src-main/core/upscale/onnx-upscaler';
import { type RgbImage, upscaleInTiles } from '../../../src-main/core/upscale/tiles';
import { upscaleRgb } from '../../../src-main/core/upscale/upscale-image';
import { SeededRandom } from '../../fixtures/onnx/graph';
import { buildUpscaler } from '../../fixtures/onnx/upscaler';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
const SEED = 'fixed-tile';
const TILE = 16;

function noiseImage(width: number, height: number, seed: number): RgbImage {
  const random = new SeededRandom(seed);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor((random.next() + 1) * 127.5)), width, height };
}

/** One folder per model: the same weights (same seed) with a free input and with a fixed 16×16 one. */
async function upscalerFolder(scale: number, fixedTile?: number): Promise<string> {
  const dir = path.join(await tempDir(), fixedTile === undefined ? 'free' : 'fixed');
  await mkdir(dir);
  await writeFile(path.join(dir, 'upscaler.onnx'), buildUpscaler(scale, SEED, fixedTile).model);
  return dir;
}

/** Largest difference over the pixels at least `margin` output pixels inside the right and bottom edges. */
function maxDifference(a: RgbImage, b: RgbImage, margin = 0): number {
  let max = 0;
  for (let y = 0; y < a.height - margin; y++) {
    for (let x = 0; x < a.width - margin; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * 3 + c;
        max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
      }
    }
  }
  return max;
}

async function withSession<T>(dir: string, use: (session: OnnxSession) => Promise<T>): Promise<T> {
  const session = await OnnxSession.create((await readUpscalerFolder(dir)).file, 'cpu');
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

describe('an upscaler whose input is one fixed tile size', () => {
  it('is read from the file without running it: the tile it takes and the factor its shapes pin', async () => {
    expect(await readUpscalerFolder(await upscalerFolder(4, TILE))).toMatchObject({ fixedTile: { width: 16, height: 16 }, scale: 4, input: 'input' });
    expect(await readUpscalerFolder(await upscalerFolder(2))).toMatchObject({ fixedTile: null, scale: null });
  });

  it('tiled at its own size gives the whole-image result of the same weights with a free input', async () => {
    const image = noiseImage(70, 45, 3);
    const whole = await withSession(await upscalerFolder(2), (session) =>
      upscaleInTiles(image, sessionTileUpscaler(session), { scale: 2, tileSize: 128, overlap: 0 }),
    );
    const fixed = await upscalerFolder(2, TILE);
    const progress: number[] = [];
    const tiled = await withSession(fixed, (session) =>
      upscaleInTiles(image, sessionTileUpscaler(session), {
        scale: 2,
        tileSize: 256,
        fixedTile: { width: TILE, height: TILE },
        overlap: 8,
        onTile: (done) => progress.push(done),
      }),
    );
    expect(progress.length).toBeGreaterThan(10);
    expect([tiled.width, tiled.height]).toEqual([140, 90]);
    expect(maxDifference(whole, tiled)).toBeLessThanOrEqual(1);
    // Without overlap the tile seams show, so the check above can fail.
    const seamed = await withSession(fixed, (session) =>
      upscaleInTiles(image, sessionTileUpscaler(session), { scale: 2, tileSize: 256, fixedTile: { width: TILE, height: TILE }, overlap: 0 }),
    );
    expect(maxDifference(whole, seamed)).toBeGreaterThan(1);
  });

  it('pads a picture smaller than its tile, giving the whole-image result away from the padded edges', async () => {
    const image = noiseImage(11, 7, 9);
    const whole = await withSession(await upscalerFolder(2), (session) =>
      upscaleInTiles(image, sessionTileUpscaler(session), { scale: 2, tileSize: 128, overlap: 0 }),
    );
    const padded = await withSession(await upscalerFolder(2, TILE), (session) =>
      upscaleInTiles(image, sessionTileUpscaler(session), { scale: 2, tileSize: 256, fixedTile: { width: TILE, height: TILE }, overlap: 0 }),
    );
    expect([padded.width, padded.height]).toEqual([22, 14]);
    // Two 3×3 convolutions reach 2 input pixels: 4 output pixels at 2×, 5 with the pixel the edge lies in.
    expect(maxDifference(whole, padded, 5)).toBeLessThanOrEqual(1);
  });

  it('is run at its own tile size by upscaleRgb, and a 4× model asked for 2× is resampled to 2×', async () => {
    const image = noiseImage(40, 24, 4);
    const fixed = await upscalerFolder(4, TILE);
    const tiles: number[] = [];
    const result = await upscaleRgb(image, 2, { dir: fixed, name: 'fixed-x4' }, { onTile: (done) => tiles.push(done) });
    expect([result.image.width, result.image.height, result.upscaler]).toEqual([80, 48, 'fixed-x4']);
    // 40×24 in 16 px tiles that share 8 px: 4 columns × 2 rows.
    expect(tiles.at(-1)).toBe(8);
    const free = await upscaleRgb(image, 4, { dir: await upscalerFolder(4), name: 'free-x4' });
    expect([free.image.width, free.image.height]).toEqual([160, 96]);
  });
});
