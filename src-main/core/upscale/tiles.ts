import { EaselError } from '../errors';

/** An 8-bit RGB picture, pixels interleaved row by row (sharp's raw layout). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Upscales one tile: `pixels` is [1, 3, height, width] float32 in [0, 1]; the result is the same layout at
 * `scale` times the size.
 */
export type TileUpscaler = (pixels: Float32Array, width: number, height: number) => Promise<Float32Array>;

export interface TiledUpscaleOptions {
  scale: number;
  /** Tile side in input pixels. */
  tileSize: number;
  /**
   * The one tile size a fixed-shape model accepts; it replaces tileSize. A picture smaller than it is padded by
   * repeating its edge pixels, and what the padding became is dropped.
   */
  fixedTile?: { width: number; height: number };
  /**
   * Input pixels shared by neighbouring tiles. Each tile's outer quarter of a shared strip is discarded and
   * the middle half blended, so a model whose receptive field reaches at most overlap/4 pixels gives the
   * same picture tiled as whole. At most half the tile size.
   */
  overlap: number;
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
}

/**
 * Runs an upscaler over a picture of any size in overlapping tiles, so memory depends on the tile size and
 * one row of tiles, not on the picture: finished output rows are written out as 8-bit RGB as soon as no later
 * tile can touch them.
 */
export async function upscaleInTiles(image: RgbImage, upscaleTile: TileUpscaler, options: TiledUpscaleOptions): Promise<RgbImage> {
  const { scale, overlap, fixedTile } = options;
  if (!Number.isInteger(scale) || scale < 1) throw new EaselError('invalid_request', `The upscale factor must be a whole number, not ${scale}.`);
  const sides = fixedTile ?? { width: options.tileSize, height: options.tileSize };
  const smallest = Math.min(sides.width, sides.height);
  if (!(smallest >= 8) || overlap < 0 || overlap * 2 > smallest) {
    throw new EaselError('invalid_request', `Tiles of ${smallest} px cannot overlap by ${overlap} px (at most half a tile).`);
  }
  const columns = tileStarts(image.width, sides.width, overlap);
  const rows = tileStarts(image.height, sides.height, overlap);
  const tileWidth = fixedTile ? fixedTile.width : Math.min(sides.width, image.width);
  const tileHeight = fixedTile ? fixedTile.height : Math.min(sides.height, image.height);
  const outWidth = image.width * scale;
  const outHeight = image.height * scale;
  const output: RgbImage = { data: new Uint8Array(outWidth * outHeight * 3), width: outWidth, height: outHeight };
  const pending = new Map<number, { sum: Float32Array; weight: Float32Array }>();
  const total = columns.length * rows.length;
  let done = 0;

  for (let r = 0; r < rows.length; r++) {
    const rowWeights = axisWeights(rows, r, tileHeight, scale);
    for (let c = 0; c < columns.length; c++) {
      if (options.signal?.aborted) throw new EaselError('cancelled', 'The upscale was cancelled.');
      const tile = readTile(image, columns[c]!, rows[r]!, tileWidth, tileHeight);
      const upscaled = await upscaleTile(tile, tileWidth, tileHeight);
      const w = tileWidth * scale;
      const h = tileHeight * scale;
      if (upscaled.length !== 3 * w * h) {
        throw new EaselError('inference_failed', `The upscaler returned ${upscaled.length} values for a ${w}×${h} tile; expected ${3 * w * h}.`);
      }
      const columnWeights = axisWeights(columns, c, tileWidth, scale);
      for (let y = 0; y < h; y++) {
        const wy = rowWeights[y]!;
        if (wy === 0) continue;
        const outY = rows[r]! * scale + y;
        if (outY >= outHeight) break;
        let line = pending.get(outY);
        if (line === undefined) {
          line = { sum: new Float32Array(outWidth * 3), weight: new Float32Array(outWidth) };
          pending.set(outY, line);
        }
        for (let x = 0; x < Math.min(w, outWidth - columns[c]! * scale); x++) {
          const weight = wy * columnWeights[x]!;
          if (weight === 0) continue;
          const outX = columns[c]! * scale + x;
          const source = y * w + x;
          line.weight[outX]! += weight;
          line.sum[outX * 3]! += weight * upscaled[source]!;
          line.sum[outX * 3 + 1]! += weight * upscaled[source + w * h]!;
          line.sum[outX * 3 + 2]! += weight * upscaled[source + 2 * w * h]!;
        }
      }
      options.onTile?.(++done, total);
    }
    const finishedBelow = r + 1 < rows.length ? rows[r + 1]! * scale : output.height;
    for (const [outY, line] of pending) {
      if (outY >= finishedBelow) continue;
      writeLine(output, outY, line.sum, line.weight);
      pending.delete(outY);
    }
  }
  return output;
}

/** Tile origins along one axis, spread evenly so neighbours share at least `overlap` pixels. */
export function tileStarts(length: number, tileSize: number, overlap: number): number[] {
  if (length <= tileSize) return [0];
  const count = Math.ceil((length - overlap) / (tileSize - overlap));
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - tileSize)) / (count - 1)));
}

/**
 * Blend weights along one axis for tile `index`, in output pixels: 1 where no neighbour overlaps; across a
 * shared strip of length L, 0 for the quarter nearest this tile's edge, then a linear ramp over the middle
 * half, so the two tiles' weights add up to 1 everywhere in the strip.
 */
function axisWeights(starts: number[], index: number, tileLength: number, scale: number): Float32Array {
  const length = tileLength * scale;
  const weights = new Float32Array(length).fill(1);
  const start = starts[index]!;
  if (index > 0) {
    const shared = (starts[index - 1]! + tileLength - start) * scale;
    for (let p = 0; p < Math.min(shared, length); p++) weights[p]! *= ramp(p + 0.5, shared);
  }
  if (index + 1 < starts.length) {
    const shared = (start + tileLength - starts[index + 1]!) * scale;
    for (let p = Math.max(0, length - shared); p < length; p++) weights[p]! *= ramp(length - p - 0.5, shared);
  }
  return weights;
}

/** Weight of a pixel `distance` into a shared strip of `shared` pixels, counted from this tile's edge. */
function ramp(distance: number, shared: number): number {
  const quarter = shared / 4;
  return Math.min(1, Math.max(0, (distance - quarter) / (2 * quarter)));
}

/** A tile as [1, 3, height, width] floats in [0, 1]; past the picture's edge, its last row or column again. */
function readTile(image: RgbImage, left: number, top: number, width: number, height: number): Float32Array {
  const tile = new Float32Array(3 * width * height);
  const plane = width * height;
  for (let y = 0; y < height; y++) {
    const row = Math.min(top + y, image.height - 1);
    for (let x = 0; x < width; x++) {
      const source = (row * image.width + Math.min(left + x, image.width - 1)) * 3;
      const target = y * width + x;
      tile[target] = image.data[source]! / 255;
      tile[target + plane] = image.data[source + 1]! / 255;
      tile[target + 2 * plane] = image.data[source + 2]! / 255;
    }
  }
  return tile;
}

function writeLine(output: RgbImage, y: number, sum: Float32Array, weight: Float32Array): void {
  const offset = y * output.width * 3;
  for (let x = 0; x < output.width; x++) {
    const w = weight[x]!;
    for (let channel = 0; channel < 3; channel++) {
      const value = w > 0 ? sum[x * 3 + channel]! / w : 0;
      output.data[offset + x * 3 + channel] = Math.round(Math.min(1, Math.max(0, value)) * 255);
    }
  }
}
