import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { sessionTileUpscaler } from '../../../src-main/core/upscale/onnx-upscaler';
import { lanczosUpscale } from '../../../src-main/core/upscale/resample';
import { type RgbImage, upscaleInTiles } from '../../../src-main/core/upscale/tiles';
import { SeededRandom } from '../../fixtures/onnx/graph';

const builtin = (id: string) => path.join(__dirname, '../../../resources/models', id, 'model.onnx');

async function samplePicture(width: number, height: number): Promise<RgbImage> {
  const { data } = await sharp(path.join(__dirname, '../../../tools/demo-model/sample.png'))
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width, height };
}

function noisePicture(width: number, height: number): RgbImage {
  const random = new SeededRandom(11);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor((random.next() + 1) * 127.5)), width, height };
}

function differences(a: Uint8Array, b: Uint8Array): { max: number; psnr: number } {
  let max = 0;
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    max = Math.max(max, Math.abs(d));
    squared += d * d;
  }
  return { max, psnr: 10 * Math.log10((255 * 255) / (squared / a.length)) };
}

describe.each([2, 4])('built-in esrgan-slim-x%i', (scale) => {
  it('gives the whole-image result in tiles with enough overlap (48 px: 4× its 10 px reach), and a picture close to Lanczos', async () => {
    const session = await OnnxSession.create(builtin(`esrgan-slim-x${scale}`), 'cpu');
    try {
      const upscaler = sessionTileUpscaler(session);
      const noise = noisePicture(200, 150);
      const whole = await upscaleInTiles(noise, upscaler, { scale, tileSize: 200, overlap: 0 });
      const tiled = await upscaleInTiles(noise, upscaler, { scale, tileSize: 96, overlap: 48 });
      const seamed = await upscaleInTiles(noise, upscaler, { scale, tileSize: 32, overlap: 0 });
      expect(differences(whole.data, tiled.data).max).toBeLessThanOrEqual(1);
      expect(differences(whole.data, seamed.data).max).toBeGreaterThan(1);
      // A super-resolution model sharpens but draws the same picture as plain resampling.
      const image = await samplePicture(72, 56);
      const upscaled = await upscaleInTiles(image, upscaler, { scale, tileSize: 128, overlap: 0 });
      const lanczos = await lanczosUpscale(image, scale);
      expect(differences(upscaled.data, lanczos.data).psnr).toBeGreaterThan(22);
    } finally {
      await session.release();
    }
  });
});
