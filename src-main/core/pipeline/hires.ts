import sharp from 'sharp';
import { hiresTargetSide, type HiresUpscalerChoice } from '../../../src-preload/api';
import { EaselError } from '../errors';
import type { GeneratedImage } from '../generated-image';
import type { RgbImage } from '../upscale/tiles';
import type { Pipeline } from './create';
import { seedFor } from './generate';
import type { GenerateOptions, GenerationModel, GenerationParams, GenerationProgress } from './types';

/** Enlarges a first-pass image to exactly `width`×`height`; says which upscaler did it, as the parameters record it. */
export type HiresUpscale = (
  image: RgbImage,
  target: { width: number; height: number },
  choice: HiresUpscalerChoice,
  signal?: AbortSignal,
) => Promise<{ image: RgbImage; upscaler: string }>;

/**
 * Makes a request's images: straight through the pipeline, or with hires fix when the request asks for it.
 * The one entry the job queue and the CLI share.
 */
export function generateImages(
  pipeline: Pipeline,
  params: GenerationParams,
  model: GenerationModel,
  options: GenerateOptions,
  upscale: HiresUpscale,
): Promise<GeneratedImage[]> {
  return params.hires === undefined ? pipeline.generate(params, model, options) : generateWithHires(pipeline, params, model, options, upscale);
}

/**
 * Hires fix as A1111 does it with a pixel upscaler: each image is made at the request's size, enlarged to
 * int(side · scale) (rounded down to a multiple of 8), and redrawn by the pipeline's own img2img path at the hires
 * strength with the same seed. Only the final image is kept; its parameters record the first pass's size and the
 * hires fields, so loading them makes the same picture.
 */
export async function generateWithHires(
  pipeline: Pipeline,
  params: GenerationParams,
  model: GenerationModel,
  options: GenerateOptions,
  upscale: HiresUpscale,
): Promise<GeneratedImage[]> {
  const { hires, ...base } = params;
  if (hires === undefined) throw new EaselError('internal', 'Hires fix was asked for without its settings.');
  if (model.folder.parts.vae_encoder === undefined) {
    throw new EaselError(
      'invalid_request',
      `The model ${model.folder.name} has no VAE encoder (vae_encoder/model.onnx), so hires fix cannot redraw its images.`,
      { field: 'hires' },
    );
  }
  const secondSteps = Math.trunc(params.steps * hires.strength);
  if (secondSteps < 1) {
    throw new EaselError(
      'invalid_request',
      `A hires strength of ${hires.strength} with ${params.steps} steps leaves no step to run; raise the strength or the steps.`,
      { field: 'hires.strength' },
    );
  }
  const target = { width: hiresTargetSide(params.width, hires.scale), height: hiresTargetSide(params.height, hires.scale) };
  const stepsPerImage = params.steps + secondSteps;
  const images: GeneratedImage[] = [];
  for (let k = 0; k < params.count; k++) {
    const seed = seedFor(params.seed, k);
    const passOptions = (offset: number): GenerateOptions => {
      const { onImage: _onImage, onProgress, ...rest } = options;
      return {
        ...rest,
        ...(onProgress === undefined ? {} : { onProgress: (progress) => onProgress(combined(progress, k, offset)) }),
      };
    };
    const combined = (progress: GenerationProgress, image: number, offset: number): GenerationProgress => {
      const step = offset + progress.step;
      const perStep = progress.step > 0 ? progress.elapsedMs / progress.step : 0;
      const left = stepsPerImage - step + (params.count - image - 1) * stepsPerImage;
      return { ...progress, image, step, totalSteps: stepsPerImage, etaMs: Math.max(0, left * perStep) };
    };
    const [first] = await pipeline.generate({ ...base, seed, count: 1 }, model, passOptions(0));
    if (first === undefined) throw new EaselError('internal', 'The first pass of hires fix made no image.');
    // A placeholder means no provider could run the model: there is nothing to redraw.
    if (first.metadata.placeholder) {
      images.push(first);
      await options.onImage?.(first);
      continue;
    }
    const enlarged = await upscale({ data: first.rgb, width: first.width, height: first.height }, target, hires.upscaler, options.signal);
    const raw = Buffer.from(enlarged.image.data.buffer, enlarged.image.data.byteOffset, enlarged.image.data.byteLength);
    const png = await sharp(raw, { raw: { width: target.width, height: target.height, channels: 3 } }).png().toBuffer();
    const [second] = await pipeline.generate(
      { ...base, seed, count: 1, ...target, initImage: { data: png.toString('base64'), strength: hires.strength } },
      model,
      passOptions(params.steps),
    );
    if (second === undefined) throw new EaselError('internal', 'The second pass of hires fix made no image.');
    const { strength: _strength, ...secondMeta } = second.metadata;
    const totalMs = first.metadata.timings.totalMs + second.metadata.timings.totalMs;
    const image: GeneratedImage = {
      ...second,
      metadata: {
        ...secondMeta,
        width: params.width,
        height: params.height,
        hiresScale: hires.scale,
        hiresUpscaler: enlarged.upscaler,
        hiresStrength: hires.strength,
        timings: { ...second.metadata.timings, totalMs },
        // The first pass chose the provider; the second pass's notes would only repeat that choice.
        notes: first.metadata.notes,
      },
    };
    images.push(image);
    await options.onImage?.(image);
  }
  return images;
}
