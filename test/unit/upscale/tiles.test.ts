import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { sessionTileUpscaler } from '../../../src-main/core/upscale/onnx-upscaler';
import { lanczosUpscale } from '../../../src-main/core/upscale/resample';
import { type RgbImage, tileStarts, upscaleInTiles } from '../../../src-main/core/upscale/tiles';
import { SeededRandom } from '../../fixtures/onnx/graph';
import { buildUpscaler } from '../../fixtures/onnx/upscaler';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
let session: OnnxSession;

beforeAll(async () => {
  const file = path.join(await tempDir(), 'upscaler.onnx');
  await writeFile(file, buildUpscaler(2).model);
  session = await OnnxSession.create(file, 'cpu');
});
afterAll(async () => {
  await session.release();
});

function noiseImage(width: number, height: number, seed: number): RgbImage {
  const random = new SeededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor((random.next() + 1) * 127.5);
  return { data, width, height };
}

describe('tileStarts', () => {
  it('covers the length with tiles that share at least the overlap', () => {
    expect(tileStarts(100, 128, 16)).toEqual([0]);
    const starts = tileStarts(300, 64, 16);
    expect(starts[0]).toBe(0);
    expect(starts.at(-1)).toBe(300 - 64);
    for (let i = 1; i < starts.length; i++) expect(starts[i - 1]! + 64 - starts[i]!).toBeGreaterThanOrEqual(16);
  });
});

describe('upscaleInTiles', () => {
  it('gives the whole-image result when the overlap covers the receptive field', async () => {
    const image = noiseImage(70, 45, 3);
    const upscaler = sessionTileUpscaler(session);
    const whole = await upscaleInTiles(image, upscaler, { scale: 2, tileSize: 128, overlap: 0 });
    const progress: string[] = [];
    const tiled = await upscaleInTiles(image, upscaler, {
      scale: 2,
      tileSize: 24,
      overlap: 12,
      onTile: (done, total) => progress.push(`${done}/${total}`),
    });
    expect(tiled.width).toBe(140);
    expect(tiled.height).toBe(90);
    expect(progress.length).toBeGreaterThan(6);
    expect(progress.at(-1)).toBe(`${progress.length}/${progress.length}`);
    let maxDifference = 0;
    for (let i = 0; i < whole.data.length; i++) maxDifference = Math.max(maxDifference, Math.abs(whole.data[i]! - tiled.data[i]!));
    // Only float rounding of the blend may differ: at most one step of 8-bit colour.
    expect(maxDifference).toBeLessThanOrEqual(1);
  });

  it('shows seams when tiles do not overlap enough, so the check above can fail', async () => {
    const image = noiseImage(70, 45, 3);
    const upscaler = sessionTileUpscaler(session);
    const whole = await upscaleInTiles(image, upscaler, { scale: 2, tileSize: 128, overlap: 0 });
    const seamed = await upscaleInTiles(image, upscaler, { scale: 2, tileSize: 24, overlap: 0 });
    let maxDifference = 0;
    for (let i = 0; i < whole.data.length; i++) maxDifference = Math.max(maxDifference, Math.abs(whole.data[i]! - seamed.data[i]!));
    expect(maxDifference).toBeGreaterThan(1);
  });

  it('stops between tiles when cancelled, and refuses an overlap wider than half a tile', async () => {
    const image = noiseImage(64, 64, 5);
    const controller = new AbortController();
    const upscaler = sessionTileUpscaler(session);
    const cancelled = upscaleInTiles(image, upscaler, {
      scale: 2,
      tileSize: 16,
      overlap: 4,
      signal: controller.signal,
      onTile: (done) => {
        if (done === 2) controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
    await expect(upscaleInTiles(image, upscaler, { scale: 2, tileSize: 16, overlap: 9 })).rejects.toBeInstanceOf(EaselError);
  });
});

describe('lanczosUpscale', () => {
  it('resizes to the exact target size and keeps a flat colour flat', async () => {
    const flat: RgbImage = { data: new Uint8Array(10 * 6 * 3).fill(200), width: 10, height: 6 };
    const big = await lanczosUpscale(flat, 4);
    expect([big.width, big.height]).toEqual([40, 24]);
    expect(new Set(big.data)).toEqual(new Set([200]));
  });
});
