import sharp from 'sharp';
import type { GenerateRequest, InpaintArea, MaskFill, Outpaint } from '../../../src-preload/api';
import { EaselError } from '../errors';
import type { NativeSize } from '../models/model-folder';
import { rgbToImageTensor } from './latents';
import {
  type Region,
  binarizeMask,
  cropRegion,
  isEmptyMask,
  maskBounds,
  maskImageTensor,
  overlayMask,
  pasteWithMask,
} from './mask';

/** A1111's defaults for its inpaint controls. */
export const DEFAULT_MASK_BLUR = 4;
export const DEFAULT_MASK_PADDING = 32;
/** How far the repainted band reaches into the old image along an outpainted edge: one latent row. */
export const OUTPAINT_SEAM = 8;

export interface EditSettings {
  maskBlur: number;
  inpaintArea: InpaintArea;
  maskPadding: number;
  fill: MaskFill;
  outpaint: Outpaint | null;
}

/**
 * An inpaint or outpaint job, worked out once per request. The canvas is the picture the result is pasted
 * onto (the init image at the requested size, or, outpainting, the init image on a larger canvas whose new
 * area repeats its edge pixels); `region` is the part of it that is diffused, at `width` x `height` (the
 * whole canvas, or for "only masked" a crop around the mask at the model's native size).
 */
export interface EditPlan {
  settings: EditSettings;
  canvas: Uint8Array;
  canvasWidth: number;
  canvasHeight: number;
  /** The final paste's alpha per canvas pixel (255 = generated, 0 = original kept exactly). */
  overlay: Uint8Array;
  region: Region;
  width: number;
  height: number;
  /** The diffused region as the VAE encoder takes it: [3, height, width] in [-1, 1]. */
  image: Float32Array;
  /** The diffused region's binary mask, one value per pixel (1 = repaint). */
  mask: Float32Array;
  /** `image * (mask < 0.5)`, what an inpainting UNet sees of the picture. */
  maskedImage: Float32Array;
}

/** What an edit reads of a generate request. */
type EditRequest = Pick<GenerateRequest, 'initImage' | 'width' | 'height'>;

interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export function editSettings(request: EditRequest): EditSettings | null {
  const init = request.initImage;
  if (init === undefined || (init.mask === undefined && init.outpaint === undefined)) return null;
  return {
    maskBlur: init.maskBlur ?? DEFAULT_MASK_BLUR,
    inpaintArea: init.inpaintArea ?? 'whole',
    maskPadding: init.maskPadding ?? DEFAULT_MASK_PADDING,
    fill: init.fill ?? 'original',
    outpaint: init.outpaint ?? null,
  };
}

/** The init image as RGB at the requested size, for img2img. */
export async function decodeInitImage(request: EditRequest): Promise<Float32Array> {
  const source = await decodeRgb(request.initImage!.data, 'initImage.data', 'starting image');
  const { rgb } = await resizeRgb(source, request.width, request.height);
  return rgbToImageTensor(rgb, request.height, request.width);
}

/** Decodes and checks the image and mask of an edit and lays out the canvas, mask and diffused region. */
export async function prepareEdit(request: EditRequest, settings: EditSettings, native: NativeSize): Promise<EditPlan> {
  const init = request.initImage!;
  const { width: canvasWidth, height: canvasHeight } = request;
  const outpaint = settings.outpaint ?? { left: 0, top: 0, right: 0, bottom: 0 };
  const inner = {
    x1: outpaint.left,
    y1: outpaint.top,
    x2: canvasWidth - outpaint.right,
    y2: canvasHeight - outpaint.bottom,
  };
  if (inner.x2 - inner.x1 < 8 || inner.y2 - inner.y1 < 8) {
    throw new EaselError(
      'invalid_request',
      `Extending a ${canvasWidth}x${canvasHeight} canvas by ${outpaint.left + outpaint.right}x${outpaint.top + outpaint.bottom} pixels leaves no room for the image.`,
      { field: 'initImage.outpaint' },
    );
  }
  const innerWidth = inner.x2 - inner.x1;
  const innerHeight = inner.y2 - inner.y1;
  const source = await decodeRgb(init.data, 'initImage.data', 'starting image');
  const image = await resizeRgb(source, innerWidth, innerHeight);

  const mask = new Float32Array(canvasWidth * canvasHeight);
  if (init.mask !== undefined) {
    const painted = await decodeMask(init.mask, source, innerWidth, innerHeight);
    for (let y = 0; y < innerHeight; y++) {
      for (let x = 0; x < innerWidth; x++) mask[(y + inner.y1) * canvasWidth + x + inner.x1] = painted[y * innerWidth + x]!;
    }
  }
  const canvas = extendCanvas(image.rgb, inner, canvasWidth, canvasHeight);
  if (settings.outpaint !== null) markOutpaintArea(mask, inner, outpaint, canvasWidth, canvasHeight);
  if (isEmptyMask(mask)) {
    throw new EaselError('invalid_request', 'The mask is empty: paint (in white) the part of the image to repaint.', {
      field: 'initImage.mask',
    });
  }

  const onlyMasked = settings.inpaintArea === 'masked';
  const overlay = overlayMask(mask, canvasWidth, canvasHeight, settings.maskBlur, !onlyMasked);
  const whole = { x1: 0, y1: 0, x2: canvasWidth, y2: canvasHeight };
  if (!onlyMasked) {
    return {
      settings,
      canvas,
      canvasWidth,
      canvasHeight,
      overlay,
      region: whole,
      width: canvasWidth,
      height: canvasHeight,
      ...diffusionInputs(rgbToImageTensor(canvas, canvasHeight, canvasWidth), mask),
    };
  }
  const bounds = maskBounds(overlay, canvasWidth, canvasHeight)!;
  const padded = cropRegion(bounds, settings.maskPadding, canvasWidth, canvasHeight, 1, 1);
  // A fixed-shape export takes its one size; otherwise the crop's shape at the native size.
  const [width, height] = native.fixed ? [native.width, native.height] : processingSize(padded, Math.max(native.width, native.height));
  const region = cropRegion(bounds, settings.maskPadding, canvasWidth, canvasHeight, width, height);
  const cropped = await resizeRegion(canvas, canvasWidth, canvasHeight, 3, region, width, height);
  const maskBytes = Uint8Array.from(mask, (value) => value * 255);
  const croppedMask = binarizeMask(await resizeRegion(maskBytes, canvasWidth, canvasHeight, 1, region, width, height));
  return {
    settings,
    canvas,
    canvasWidth,
    canvasHeight,
    overlay,
    region,
    width,
    height,
    ...diffusionInputs(rgbToImageTensor(cropped, height, width), croppedMask),
  };
}

function diffusionInputs(image: Float32Array, mask: Float32Array) {
  return { image, mask, maskedImage: maskImageTensor(image, mask) };
}

/** The generated region put back: scaled to its place on the canvas, then pasted through the overlay mask. */
export async function composeEdit(plan: EditPlan, generated: Uint8Array): Promise<Uint8Array> {
  const { region, canvasWidth, canvasHeight } = plan;
  const regionWidth = region.x2 - region.x1;
  const regionHeight = region.y2 - region.y1;
  let full = generated;
  if (regionWidth !== canvasWidth || regionHeight !== canvasHeight) {
    const scaled = await resizeRgb({ rgb: generated, width: plan.width, height: plan.height }, regionWidth, regionHeight);
    full = Uint8Array.from(plan.canvas);
    for (let y = 0; y < regionHeight; y++) {
      const from = y * regionWidth * 3;
      full.set(scaled.rgb.subarray(from, from + regionWidth * 3), ((y + region.y1) * canvasWidth + region.x1) * 3);
    }
  }
  return pasteWithMask(plan.canvas, full, plan.overlay);
}

/** The model's native size fitted to the crop's shape: the long side native, the short side in proportion. */
function processingSize(crop: Region, nativeSide: number): [number, number] {
  const cropWidth = crop.x2 - crop.x1;
  const cropHeight = crop.y2 - crop.y1;
  const short = (long: number, other: number) => Math.max(64, Math.round((nativeSide * other) / long / 8) * 8);
  return cropWidth >= cropHeight ? [nativeSide, short(cropWidth, cropHeight)] : [short(cropHeight, cropWidth), nativeSide];
}

/** The image on a larger canvas, the new area filled from the nearest edge pixels (context for the encoder). */
function extendCanvas(rgb: Uint8Array, inner: Region, width: number, height: number): Uint8Array {
  const innerWidth = inner.x2 - inner.x1;
  const innerHeight = inner.y2 - inner.y1;
  if (innerWidth === width && innerHeight === height) return rgb;
  const canvas = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y - inner.y1, 0), innerHeight - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x - inner.x1, 0), innerWidth - 1);
      const from = (sy * innerWidth + sx) * 3;
      canvas.set(rgb.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return canvas;
}

/** The new area and a seam band inside each extended edge are repainted. */
function markOutpaintArea(mask: Float32Array, inner: Region, outpaint: Outpaint, width: number, height: number): void {
  const keep = {
    x1: outpaint.left > 0 ? inner.x1 + OUTPAINT_SEAM : inner.x1,
    y1: outpaint.top > 0 ? inner.y1 + OUTPAINT_SEAM : inner.y1,
    x2: outpaint.right > 0 ? inner.x2 - OUTPAINT_SEAM : inner.x2,
    y2: outpaint.bottom > 0 ? inner.y2 - OUTPAINT_SEAM : inner.y2,
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < keep.x1 || x >= keep.x2 || y < keep.y1 || y >= keep.y2) mask[y * width + x] = 1;
    }
  }
}

async function decodeRgb(base64: string, field: string, what: string): Promise<DecodedImage> {
  try {
    const { data, info } = await sharp(Buffer.from(base64, 'base64'))
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    throw new EaselError('invalid_request', `The ${what} could not be read as a PNG or JPEG: ${(error as Error).message}`, { field });
  }
}

/** The mask as 0/1 at the image's size: checked against the image's aspect ratio, scaled, binarised at 0.5. */
async function decodeMask(base64: string, image: DecodedImage, width: number, height: number): Promise<Float32Array> {
  const field = 'initImage.mask';
  let decoded: ReturnType<typeof sharp>;
  let size: { width: number; height: number };
  try {
    decoded = sharp(Buffer.from(base64, 'base64')).removeAlpha();
    const meta = await decoded.metadata();
    if (meta.width === undefined || meta.height === undefined) throw new Error('it has no size');
    size = { width: meta.width, height: meta.height };
  } catch (error) {
    throw new EaselError('invalid_request', `The mask could not be read as a PNG or JPEG: ${(error as Error).message}`, { field });
  }
  const maskRatio = size.width / size.height;
  const imageRatio = image.width / image.height;
  if (Math.abs(maskRatio - imageRatio) > 0.01 * imageRatio) {
    throw new EaselError(
      'invalid_request',
      `The mask is ${size.width}x${size.height} but the image is ${image.width}x${image.height}: ` +
        'a mask must have the image’s aspect ratio (any size of it).',
      { field, mask: size, image: { width: image.width, height: image.height } },
    );
  }
  const { data } = await decoded
    .grayscale()
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return binarizeMask(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

async function resizeRgb(image: DecodedImage, width: number, height: number): Promise<DecodedImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

async function resizeRegion(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  region: Region,
  outWidth: number,
  outHeight: number,
): Promise<Uint8Array> {
  const data = await sharp(pixels, { raw: { width, height, channels } })
    .extract({ left: region.x1, top: region.y1, width: region.x2 - region.x1, height: region.y2 - region.y1 })
    .resize(outWidth, outHeight, { fit: 'fill' })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
