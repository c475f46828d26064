import sharp from 'sharp';
import type { ImageMetadata } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { formatA1111Parameters } from './a1111';
import { A1111_CHUNK, EASEL_CHUNK, formatEaselMetadata } from './easel-metadata';
import { POSTPROCESSING_CHUNK, postprocessingText } from '../upscale/upscale-image';
import { addPngTextChunks } from './png-text';

/** 8-bit RGB pixels, row by row, three bytes a pixel. */
export interface RgbPixels {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * An image as PNG bytes with its parameters embedded twice: A1111's `parameters` text (which other
 * Stable Diffusion tools read) and Easel's full metadata as JSON in an `easel` chunk. The one place
 * Easel's PNGs are made.
 */
export async function encodePngWithParameters(pixels: RgbPixels, meta: ImageMetadata): Promise<Buffer> {
  const { rgb, width, height } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EaselError('invalid_request', `Image size ${width}x${height} is not a positive whole size.`, { width, height });
  }
  if (rgb.length !== width * height * 3) {
    throw new EaselError(
      'invalid_request',
      `Expected ${width * height * 3} bytes of RGB pixels for ${width}x${height}, got ${rgb.length}.`,
      { width, height, bytes: rgb.length },
    );
  }
  const raw = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const png = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return addPngTextChunks(png, {
    [A1111_CHUNK]: formatA1111Parameters(meta),
    // An upscaled copy carries its source's parameters and, as A1111's Extras tab writes it, what enlarged it.
    ...(meta.upscale === undefined ? {} : { [POSTPROCESSING_CHUNK]: postprocessingText(meta.upscale.scale, meta.upscale.upscaler) }),
    [EASEL_CHUNK]: formatEaselMetadata(meta),
  });
}
