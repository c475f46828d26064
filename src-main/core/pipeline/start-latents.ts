import type { MaskFill } from '../../../src-preload/api';
import { resizeMaskNearest } from './mask';
import { TorchCpuGenerator } from './rng';
import type { Scheduler } from './schedulers';

/** VAE-encodes a [3, H, W] image to scaled latents, drawing the posterior sample from the job's generator. */
export type ImageEncoder = (image: Float32Array) => Promise<Float32Array>;

/**
 * The VAE posterior as diffusers' `retrieve_latents(..., sample_mode="sample")` draws it: optimum's
 * `latent_parameters` holds [mean | logvar] along the channels, the sample is mean + exp(logvar / 2) * randn
 * (logvar clamped to [-30, 20]) with randn drawn from the job's generator; legacy exports that output
 * `latent_sample` sampled inside the graph and are used as they are, drawing nothing. Scaled by the VAE's
 * scaling factor. Float32 at each operation, as torch computes it.
 */
export function posteriorLatents(
  encoded: Float32Array,
  latentLength: number,
  scalingFactor: number,
  generator: TorchCpuGenerator,
): Float32Array {
  const scale = Math.fround(scalingFactor);
  const latents = new Float32Array(latentLength);
  if (encoded.length === latentLength) {
    for (let i = 0; i < latentLength; i++) latents[i] = Math.fround(scale * encoded[i]!);
    return latents;
  }
  const eps = generator.randn(latentLength);
  for (let i = 0; i < latentLength; i++) {
    const logvar = Math.min(Math.max(encoded[latentLength + i]!, -30), 20);
    const std = Math.fround(Math.exp(Math.fround(0.5 * logvar)));
    const sample = Math.fround(encoded[i]! + Math.fround(std * eps[i]!));
    latents[i] = Math.fround(scale * sample);
  }
  return latents;
}

/**
 * diffusers' StableDiffusionImg2ImgPipeline.prepare_latents: the image's posterior sample is drawn first,
 * then the noise, and the latents are the image latents noised to the first timestep run.
 */
export async function img2imgLatents(
  encode: ImageEncoder,
  image: Float32Array,
  scheduler: Scheduler,
  startTimestep: number,
  generator: TorchCpuGenerator,
): Promise<Float32Array> {
  const imageLatents = await encode(image);
  return scheduler.addNoise(imageLatents, generator.randn(imageLatents.length), startTimestep);
}

/** Everything an inpainting run needs beyond the latents, from diffusers' StableDiffusionInpaintPipeline. */
export interface InpaintStart {
  latents: Float32Array;
  /** The noise drawn for the start, reused to noise the known region at every step (4-channel UNets). */
  noise: Float32Array;
  /** Scaled latents of the whole image, or null when a 9-channel UNet starts from pure noise. */
  imageLatents: Float32Array | null;
  /** The mask at latent size (1 = repaint), nearest-neighbour as torch's interpolate. */
  latentMask: Float32Array;
  /** For 9-channel UNets: the mask and the masked image's latents, appended to the latents in each row. */
  unetChannels: { data: Float32Array; count: number } | null;
}

export interface InpaintInputs {
  image: Float32Array;
  /** diffusers' `image * (mask < 0.5)` (see maskImageTensor). */
  maskedImage: Float32Array;
  mask: Float32Array;
  width: number;
  height: number;
  latentChannels: number;
  /** The UNet takes 9 channels (latents, mask, masked-image latents). */
  inpaintingUnet: boolean;
  strength: number;
  fill: MaskFill;
  /** Seeds the latent noise of fill "noise", a stream of its own so the job's draws stay diffusers'. */
  fillSeed: bigint;
}

/**
 * prepare_latents then prepare_mask_latents, in diffusers' order of draws from the job's generator: the
 * image's posterior sample (unless a 9-channel UNet starts at strength 1), the noise, then the masked image's
 * posterior sample (drawn even for 4-channel UNets, which do not use it). At strength 1 the start is pure
 * noise times init_noise_sigma, else the image latents noised to the first timestep run.
 */
export async function inpaintLatents(
  encode: ImageEncoder,
  inputs: InpaintInputs,
  scheduler: Scheduler,
  startTimestep: number,
  generator: TorchCpuGenerator,
): Promise<InpaintStart> {
  const latentWidth = inputs.width / 8;
  const latentHeight = inputs.height / 8;
  const latentMask = resizeMaskNearest(inputs.mask, inputs.width, inputs.height, latentWidth, latentHeight);
  const strengthMax = inputs.strength === 1;
  let imageLatents: Float32Array | null = null;
  if (!inputs.inpaintingUnet || !strengthMax) imageLatents = await encode(inputs.image);
  const latentLength = inputs.latentChannels * latentWidth * latentHeight;
  const noise = generator.randn(latentLength);
  let latents: Float32Array;
  if (strengthMax) {
    const sigma = scheduler.initNoiseSigma;
    latents = sigma === 1 ? Float32Array.from(noise) : Float32Array.from(noise, (value) => Math.fround(value * sigma));
  } else {
    const start = inputs.fill === 'noise' ? fillWithNoise(imageLatents!, latentMask, inputs.fillSeed) : imageLatents!;
    latents = scheduler.addNoise(start, noise, startTimestep);
  }
  const maskedLatents = await encode(inputs.maskedImage);
  const unetChannels = inputs.inpaintingUnet
    ? { data: concatenate(latentMask, maskedLatents), count: 1 + inputs.latentChannels }
    : null;
  return { latents, noise, imageLatents, latentMask, unetChannels };
}

/**
 * The 4-channel inpainting step of diffusers: after each scheduler step the known region is replaced by the
 * image latents noised to the next timestep (the clean latents after the last step).
 */
export function blendKnownRegion(
  latents: Float32Array,
  start: InpaintStart,
  scheduler: Scheduler,
  nextTimestep: number | null,
): Float32Array {
  const known = nextTimestep === null ? start.imageLatents! : scheduler.addNoise(start.imageLatents!, start.noise, nextTimestep);
  const mask = start.latentMask;
  const plane = mask.length;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < out.length; i++) {
    const m = mask[i % plane]!;
    out[i] = Math.fround(Math.fround((1 - m) * known[i]!) + Math.fround(m * latents[i]!));
  }
  return out;
}

/** A1111's "latent noise" fill: the masked latents replaced by standard normal noise before noising. */
function fillWithNoise(imageLatents: Float32Array, latentMask: Float32Array, seed: bigint): Float32Array {
  const noise = new TorchCpuGenerator(seed).randn(imageLatents.length);
  const plane = latentMask.length;
  return Float32Array.from(imageLatents, (value, i) => (latentMask[i % plane]! >= 0.5 ? noise[i]! : value));
}

function concatenate(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
