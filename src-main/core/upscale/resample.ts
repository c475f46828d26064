import sharp from 'sharp';
import type { RgbImage } from './tiles';

/** The always-available upscaler: Lanczos-3 resampling, sharp but with no invented detail. */
export async function lanczosUpscale(image: RgbImage, scale: number): Promise<RgbImage> {
  return lanczosResize(image, Math.round(image.width * scale), Math.round(image.height * scale));
}

/** Lanczos-3 resampling to an exact size (the aspect ratio is the caller's business). */
export async function lanczosResize(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}
