import sharp from 'sharp';
import { formatA1111Parameters } from '../gallery/a1111';
import { A1111_CHUNK, EASEL_CHUNK, formatEaselMetadata } from '../gallery/easel-metadata';
import { addPngTextChunks } from '../gallery/png-text';
import type { GeneratedImage } from './types';

/**
 * A generated image as PNG bytes with its parameters embedded twice: A1111's `parameters` text (which
 * other Stable Diffusion tools read) and Easel's full metadata as JSON in an `easel` chunk.
 */
export async function encodeImagePng(image: GeneratedImage): Promise<Buffer> {
  const png = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return addPngTextChunks(png, {
    [A1111_CHUNK]: formatA1111Parameters(image.metadata),
    [EASEL_CHUNK]: formatEaselMetadata(image.metadata),
  });
}
