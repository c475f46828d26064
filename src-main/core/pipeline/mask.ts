/**
 * Inpainting masks as plain arrays, one value per pixel, row-major: 1 = repaint, 0 = keep. The diffusion
 * side follows diffusers' StableDiffusionInpaintPipeline (binarised at 0.5, nearest-neighbour down to the
 * latent grid, `image * (mask < 0.5)`); the final paste follows A1111 (a Gaussian-blurred copy of the mask
 * as the alpha of the generated pixels over the original ones).
 */

/** A rectangle in pixels: x1/y1 inclusive, x2/y2 exclusive. */
export interface Region {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Grey bytes -> 0/1 as diffusers' VaeImageProcessor binarises (value / 255 >= 0.5 is 1). */
export function binarizeMask(grey: Uint8Array): Float32Array {
  const mask = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) mask[i] = Math.fround(grey[i]! / 255) >= 0.5 ? 1 : 0;
  return mask;
}

export function isEmptyMask(mask: Float32Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i]! !== 0) return false;
  return true;
}

/**
 * torch.nn.functional.interpolate(mask, size) in its default 'nearest' mode: output pixel (y, x) takes
 * input pixel (floor(y * H / h), floor(x * W / w)), computed in float32 as torch does.
 */
export function resizeMaskNearest(mask: Float32Array, width: number, height: number, outWidth: number, outHeight: number): Float32Array {
  const out = new Float32Array(outWidth * outHeight);
  const scaleY = Math.fround(height / outHeight);
  const scaleX = Math.fround(width / outWidth);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(Math.floor(Math.fround(y * scaleY)), height - 1);
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(Math.floor(Math.fround(x * scaleX)), width - 1);
      out[y * outWidth + x] = mask[sy * width + sx]!;
    }
  }
  return out;
}

/** diffusers' `masked_image = image * (mask < 0.5)` on a [3, H, W] tensor in [-1, 1]: repainted pixels become 0. */
export function maskImageTensor(image: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  const out = new Float32Array(image.length);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = mask[p]! < 0.5 ? image[c * plane + p]! : 0;
  }
  return out;
}

/**
 * A1111's overlay mask: the binary mask Gaussian-blurred with sigma `blur` (kernel 2·int(2.5·blur + 0.5) + 1,
 * mirrored borders as OpenCV's default), as bytes. `Whole picture` inpainting doubles it (clipped) so the
 * repainted area is fully opaque up to its edge; `Only masked` uses it as it is.
 */
export function overlayMask(mask: Float32Array, width: number, height: number, blur: number, doubled: boolean): Uint8Array {
  const scale = doubled ? 2 : 1;
  const out = new Uint8Array(mask.length);
  if (blur <= 0) {
    for (let i = 0; i < mask.length; i++) out[i] = mask[i]! >= 0.5 ? 255 : 0;
    return out;
  }
  const kernel = gaussianKernel(blur);
  const horizontal = convolve1d(mask, width, height, kernel, true);
  const both = convolve1d(horizontal, width, height, kernel, false);
  for (let i = 0; i < both.length; i++) {
    const value = Math.round(both[i]! * 255) * scale;
    out[i] = value > 255 ? 255 : value < 0 ? 0 : value;
  }
  return out;
}

function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.trunc(2.5 * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const weight = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = weight;
    sum += weight;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}

/** OpenCV's BORDER_REFLECT_101: ...c b | a b c d | c b... */
function reflect101(index: number, size: number): number {
  if (size === 1) return 0;
  let i = index;
  while (i < 0 || i >= size) i = i < 0 ? -i : 2 * size - 2 - i;
  return i;
}

function convolve1d(values: Float32Array | Float64Array, width: number, height: number, kernel: Float64Array, alongX: boolean): Float64Array {
  const out = new Float64Array(width * height);
  const radius = (kernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const source = alongX ? y * width + reflect101(x + k, width) : reflect101(y + k, height) * width + x;
        sum += kernel[k + radius]! * values[source]!;
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** The bounding box of the non-zero pixels, or null when there are none. */
export function maskBounds(mask: Uint8Array | Float32Array, width: number, height: number): Region | null {
  let x1 = width;
  let y1 = height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]! === 0) continue;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
    }
  }
  return x2 < 0 ? null : { x1, y1, x2: x2 + 1, y2: y2 + 1 };
}

/**
 * A1111's "Only masked" crop: the mask's bounds grown by `padding` on every side (within the image), then
 * widened or heightened around its centre to the processing size's aspect ratio, shifted back inside the
 * image where it would cross an edge.
 */
export function cropRegion(
  bounds: Region,
  padding: number,
  imageWidth: number,
  imageHeight: number,
  processingWidth: number,
  processingHeight: number,
): Region {
  let { x1, y1, x2, y2 } = {
    x1: Math.max(bounds.x1 - padding, 0),
    y1: Math.max(bounds.y1 - padding, 0),
    x2: Math.min(bounds.x2 + padding, imageWidth),
    y2: Math.min(bounds.y2 + padding, imageHeight),
  };
  const ratio = processingWidth / processingHeight;
  if ((x2 - x1) / (y2 - y1) > ratio) {
    [y1, y2] = growSpan(y1, y2, (x2 - x1) / ratio, imageHeight);
  } else {
    [x1, x2] = growSpan(x1, x2, (y2 - y1) * ratio, imageWidth);
  }
  return { x1, y1, x2, y2 };
}

function growSpan(start: number, end: number, desired: number, limit: number): [number, number] {
  const grow = Math.trunc(desired - (end - start));
  let a = start - Math.floor(grow / 2);
  let b = end + grow - Math.floor(grow / 2);
  if (b > limit) {
    a -= b - limit;
    b = limit;
  }
  if (a < 0) {
    b -= a;
    a = 0;
  }
  return [a, Math.min(b, limit)];
}

/**
 * The final paste: original * (1 - alpha) + generated * alpha per pixel, alpha from the overlay mask bytes;
 * where alpha is 0 the original's bytes are kept exactly. Both images are interleaved RGB of the same size.
 */
export function pasteWithMask(original: Uint8Array, generated: Uint8Array, alpha: Uint8Array): Uint8Array {
  const out = new Uint8Array(original.length);
  for (let p = 0; p < alpha.length; p++) {
    const a = alpha[p]!;
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      out[i] = a === 0 ? original[i]! : a === 255 ? generated[i]! : Math.round((original[i]! * (255 - a) + generated[i]! * a) / 255);
    }
  }
  return out;
}
