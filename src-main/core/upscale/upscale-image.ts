import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { EaselError } from '../errors';
import { addPngTextChunks, readPngTextChunks } from '../gallery/png-text';
import { readUpscalerFolder } from '../models/model-folder';
import { OnnxSession } from '../runtime/session';
import { sessionTileUpscaler, type UpscalerSession } from './onnx-upscaler';
import { lanczosResize, lanczosUpscale } from './resample';
import { type RgbImage, upscaleInTiles } from './tiles';

/** Past this many pixels a side the result is refused: PNG viewers and sharp's defaults stop there. */
export const MAX_UPSCALED_SIDE = 16384;
export const upscaleFactors = [2, 4] as const;
export type UpscaleFactor = (typeof upscaleFactors)[number];

/**
 * Tile and overlap for ESRGAN-sized models: 256² tiles keep one tile's activations to a few hundred MB; 48 px of
 * overlap covers the built-in RDN models' receptive field (10 px a side, see tiles.ts on overlap/4). A model that
 * takes one fixed tile size gets that size, and the same overlap up to half of it.
 */
const TILE_SIZE = 256;
const TILE_OVERLAP = 48;

/** The name results record when no upscaler model ran. */
export const LANCZOS = 'Lanczos';

/** The PNG text chunk A1111's Extras tab writes its upscale settings into, next to the source's `parameters`. */
export const POSTPROCESSING_CHUNK = 'postprocessing';

export interface UpscaleModel {
  /** The folder holding one `.onnx` ESRGAN-style upscaler (model-folder/upscaler.ts reads it). */
  dir: string;
  /** The name the result's parameters record (A1111 records the upscaler's name). */
  name: string;
}

export interface UpscaleImageRequest {
  /** The source picture's bytes (PNG, JPEG or WebP). */
  image: Buffer;
  scale: UpscaleFactor;
  /** An upscaler model; without one, Lanczos resampling is used and the result says so. */
  model: UpscaleModel | null;
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
}

export interface UpscaledImage {
  png: Buffer;
  width: number;
  height: number;
  /** The upscaler that made it: the model's name, or `Lanczos` when no model was given. */
  upscaler: string;
}

/**
 * Enlarges a picture by 2 or 4 with an ONNX upscaler run in overlapping tiles (bounded memory), or Lanczos.
 * The result keeps the source's `parameters` and gains A1111's `postprocessing` text.
 */
export async function upscaleImage(request: UpscaleImageRequest): Promise<UpscaledImage> {
  const { scale } = request;
  if (!upscaleFactors.includes(scale)) {
    throw new EaselError('invalid_request', `scale: the upscale factor must be 2 or 4, not ${String(scale)}.`, { field: 'scale' });
  }
  const source = await decodeRgb(request.image);
  const width = source.width * scale;
  const height = source.height * scale;
  if (width > MAX_UPSCALED_SIDE || height > MAX_UPSCALED_SIDE) {
    throw new EaselError(
      'invalid_request',
      `scale: ${source.width}×${source.height} enlarged ${scale}× would be ${width}×${height}; at most ${MAX_UPSCALED_SIDE} px a side. Choose a smaller factor or a smaller image.`,
      { field: 'scale', width, height, max: MAX_UPSCALED_SIDE },
    );
  }
  const { image: upscaled, upscaler } = await upscaleRgb(source, scale, request.model, request);
  const raw = Buffer.from(upscaled.data.buffer, upscaled.data.byteOffset, upscaled.data.byteLength);
  const png = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  const sourceText = pngText(request.image);
  const chunks: Record<string, string> = { [POSTPROCESSING_CHUNK]: postprocessingText(scale, upscaler) };
  if (sourceText['parameters'] !== undefined) chunks['parameters'] = sourceText['parameters'];
  return { png: addPngTextChunks(png, chunks), width, height, upscaler };
}

/** A1111's `postprocessing` text for an upscale, as its Extras tab writes it. */
export function postprocessingText(scale: number, upscaler: string): string {
  return `Postprocess upscale by: ${scale}, Postprocess upscaler: ${upscaler}`;
}

/**
 * Enlarges decoded pixels by a whole factor: in tiles with an upscaler model, or by Lanczos when there is none. A
 * model that enlarges by another factor (a ×4 model asked for 2×) runs at its own, and its result is resampled to
 * the size asked for, as A1111 does.
 */
export async function upscaleRgb(
  source: RgbImage,
  scale: number,
  model: UpscaleModel | null,
  options: { signal?: AbortSignal; onTile?: (done: number, total: number) => void } = {},
): Promise<{ image: RgbImage; upscaler: string }> {
  if (model === null) return { image: await lanczosUpscale(source, scale), upscaler: LANCZOS };
  const folder = await readUpscalerFolder(model.dir);
  const session = await OnnxSession.create(folder.file, 'cpu');
  try {
    const upscaler = sessionTileUpscaler(session);
    const native = folder.scale ?? (await measuredScale(session, folder.fixedTile));
    const largest = Math.max(source.width, source.height) * native;
    if (largest > MAX_UPSCALED_SIDE) {
      throw new EaselError(
        'invalid_request',
        `scale: ${model.name} enlarges ${native}× first, to ${source.width * native}×${source.height * native}; at most ${MAX_UPSCALED_SIDE} px a side. Choose a smaller image or another upscaler.`,
        { field: 'scale', max: MAX_UPSCALED_SIDE },
      );
    }
    const tile = folder.fixedTile ?? { width: TILE_SIZE, height: TILE_SIZE };
    const enlarged = await upscaleInTiles(source, upscaler, {
      scale: native,
      tileSize: TILE_SIZE,
      ...(folder.fixedTile === null ? {} : { fixedTile: folder.fixedTile }),
      overlap: Math.min(TILE_OVERLAP, Math.floor(Math.min(tile.width, tile.height) / 2)),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onTile === undefined ? {} : { onTile: options.onTile }),
    });
    const image = native === scale ? enlarged : await lanczosResize(enlarged, source.width * scale, source.height * scale);
    return { image, upscaler: model.name };
  } finally {
    await session.release();
  }
}

/** How many times a model whose shapes do not say it enlarges: run once on a small grey picture and measured. */
async function measuredScale(session: UpscalerSession, fixedTile: { width: number; height: number } | null): Promise<number> {
  const { width, height } = fixedTile ?? { width: 32, height: 32 };
  const grey = { data: new Float32Array(3 * width * height).fill(0.5), dims: [1, 3, height, width] };
  const result = (await session.run({ [session.inputs[0]!.name]: grey }))[session.outputs[0]!.name];
  const scale = result === undefined ? NaN : Math.sqrt(result.data.length / (3 * width * height));
  if (!Number.isInteger(scale) || scale < 1 || scale > 8) {
    throw new EaselError('model_invalid', 'model: this upscaler does not enlarge a picture by a whole factor (2×, 4×…).', { field: 'model' });
  }
  return scale;
}

/** The built-in upscaler for a factor (`esrgan-slim-x2`, `esrgan-slim-x4`) from the first folder holding it, or null. */
export async function builtinUpscaler(scale: UpscaleFactor, modelDirs: readonly string[]): Promise<UpscaleModel | null> {
  const name = `esrgan-slim-x${scale}`;
  for (const root of modelDirs) {
    const dir = path.join(root, name);
    if ((await stat(dir).catch(() => null))?.isDirectory()) return { dir, name };
  }
  return null;
}

export async function decodeRgb(bytes: Buffer): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (error) {
    throw new EaselError('image_invalid', `image: not a PNG, JPEG or WebP picture (${(error as Error).message}).`, { field: 'image' });
  }
}

function pngText(bytes: Buffer): Record<string, string> {
  try {
    return readPngTextChunks(bytes);
  } catch {
    return {};
  }
}
