/**
 * Tiled VAE decoding and encoding as diffusers' `enable_vae_tiling` does it (AutoencoderKL.tiled_decode and
 * tiled_encode): overlapping tiles run one at a time, so memory stays that of one tile whatever the image
 * size; each tile is blended into the one above and the one to its left over a linear ramp, in place and in
 * diffusers' order, and then cut to the part that does not overlap the next.
 */

/** One image or latent, channel planes one after another ([channels, height, width], batch 1). */
export interface Planes {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export interface TileSizes {
  /** The VAE's image tile (its config's sample_size: 512 for SD 1.x, 768 for SD 2.x, 1024 for SDXL). */
  sample: number;
  /** The matching latent tile: sample / 2^(number of VAE blocks - 1), i.e. sample / 8. */
  latent: number;
  /** How much neighbouring tiles share (diffusers: 0.25). */
  overlap: number;
}

export const TILE_OVERLAP = 0.25;

/** The sizes diffusers derives from a VAE config's sample_size and block_out_channels. */
export function tileSizes(sampleSize: number, blocks = 4): TileSizes {
  return { sample: sampleSize, latent: Math.trunc(sampleSize / 2 ** (blocks - 1)), overlap: TILE_OVERLAP };
}

/** diffusers tiles a decode when the latents are larger than one latent tile in either direction. */
export function decodeNeedsTiles(height: number, width: number, sizes: TileSizes): boolean {
  return height > sizes.latent || width > sizes.latent;
}

/** diffusers tiles an encode when the image is larger than one image tile in either direction. */
export function encodeNeedsTiles(height: number, width: number, sizes: TileSizes): boolean {
  return height > sizes.sample || width > sizes.sample;
}

/** Decodes latents tile by tile with `decode` (one tile of latents to its image). */
export function tiledDecode(latents: Planes, sizes: TileSizes, decode: (tile: Planes) => Promise<Planes>): Promise<Planes> {
  return tiled(latents, {
    tile: sizes.latent,
    stride: Math.trunc(sizes.latent * (1 - sizes.overlap)),
    blend: Math.trunc(sizes.sample * sizes.overlap),
    keep: sizes.sample - Math.trunc(sizes.sample * sizes.overlap),
  }, decode);
}

/** Encodes an image tile by tile with `encode` (one tile of image to its latents or moments). */
export function tiledEncode(image: Planes, sizes: TileSizes, encode: (tile: Planes) => Promise<Planes>): Promise<Planes> {
  return tiled(image, {
    tile: sizes.sample,
    stride: Math.trunc(sizes.sample * (1 - sizes.overlap)),
    blend: Math.trunc(sizes.latent * sizes.overlap),
    keep: sizes.latent - Math.trunc(sizes.latent * sizes.overlap),
  }, encode);
}

interface Layout {
  /** Input tile side. */
  tile: number;
  /** Distance between tile starts in the input. */
  stride: number;
  /** Output rows/columns blended with the neighbour above/left. */
  blend: number;
  /** Output rows/columns kept of each tile. */
  keep: number;
}

async function tiled(input: Planes, layout: Layout, run: (tile: Planes) => Promise<Planes>): Promise<Planes> {
  const rows: Planes[][] = [];
  for (let top = 0; top < input.height; top += layout.stride) {
    const row: Planes[] = [];
    for (let left = 0; left < input.width; left += layout.stride) {
      row.push(await run(crop(input, top, left, layout.tile, layout.tile)));
    }
    rows.push(row);
  }

  const kept: Planes[][] = rows.map((row, i) =>
    row.map((tile, j) => {
      if (i > 0) blendVertical(rows[i - 1]![j]!, tile, layout.blend);
      if (j > 0) blendHorizontal(row[j - 1]!, tile, layout.blend);
      return crop(tile, 0, 0, layout.keep, layout.keep);
    }),
  );

  const channels = kept[0]![0]!.channels;
  const height = kept.reduce((sum, row) => sum + row[0]!.height, 0);
  const width = kept[0]!.reduce((sum, tile) => sum + tile.width, 0);
  const out = new Float32Array(channels * height * width);
  let top = 0;
  for (const row of kept) {
    let left = 0;
    for (const tile of row) {
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < tile.height; y++) {
          const from = (c * tile.height + y) * tile.width;
          out.set(tile.data.subarray(from, from + tile.width), (c * height + top + y) * width + left);
        }
      }
      left += tile.width;
    }
    top += row[0]!.height;
  }
  return { data: out, channels, height, width };
}

/** The part of `planes` from (top, left), at most height x width (less at the far edges, as slicing gives). */
function crop(planes: Planes, top: number, left: number, height: number, width: number): Planes {
  const h = Math.min(height, planes.height - top);
  const w = Math.min(width, planes.width - left);
  const data = new Float32Array(planes.channels * h * w);
  for (let c = 0; c < planes.channels; c++) {
    for (let y = 0; y < h; y++) {
      const from = (c * planes.height + top + y) * planes.width + left;
      data.set(planes.data.subarray(from, from + w), (c * h + y) * w);
    }
  }
  return { data, channels: planes.channels, height: h, width: w };
}

/** diffusers' blend_v: b's first rows fade in from a's last rows, written into b. */
function blendVertical(a: Planes, b: Planes, extent: number): void {
  const rows = Math.min(a.height, b.height, extent);
  for (let c = 0; c < b.channels; c++) {
    for (let y = 0; y < rows; y++) {
      const weight = y / rows;
      const aRow = (c * a.height + a.height - rows + y) * a.width;
      const bRow = (c * b.height + y) * b.width;
      for (let x = 0; x < b.width; x++) {
        b.data[bRow + x] = a.data[aRow + x]! * (1 - weight) + b.data[bRow + x]! * weight;
      }
    }
  }
}

/** diffusers' blend_h: b's first columns fade in from a's last columns, written into b. */
function blendHorizontal(a: Planes, b: Planes, extent: number): void {
  const columns = Math.min(a.width, b.width, extent);
  for (let c = 0; c < b.channels; c++) {
    for (let y = 0; y < b.height; y++) {
      const aRow = (c * a.height + y) * a.width + a.width - columns;
      const bRow = (c * b.height + y) * b.width;
      for (let x = 0; x < columns; x++) {
        const weight = x / columns;
        b.data[bRow + x] = a.data[aRow + x]! * (1 - weight) + b.data[bRow + x]! * weight;
      }
    }
  }
}
