import type { GenerateRequest, ProviderName, SchedulerName } from '../../../src-preload/api';
import type { AdapterSources } from '../adapters/adapter-cache';
import type { GeneratedImage } from '../generated-image';
import type { ModelFolder, TinyDecoderFolder } from '../models/model-folder';

/**
 * What the pipeline makes images from: a validated request without its model id (the model travels
 * separately, already resolved), with the seed drawn.
 */
export type GenerationParams = Omit<GenerateRequest, 'modelId' | 'seed'> & { seed: string };

/** The model a generation runs: its folder as read, and the id and name its images are saved under. */
export interface GenerationModel {
  id: string;
  name: string;
  folder: ModelFolder;
  /** The only schedulers its pictures come out right with (from its catalog entry); any scheduler when absent. */
  schedulers?: readonly SchedulerName[];
  /** The installed tiny decoder of its family, used when the folder has no vae_decoder_tiny/ of its own. */
  tinyDecoderAddon?: TinyDecoderFolder;
}

/** A cheap look at the latents while they are denoised: RGB bytes at 1/8 of the image size. */
export interface LatentPreview {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export interface GenerationProgress {
  /** Which image of the request (0-based). */
  image: number;
  /** Model calls done for this image (1-based once the first step has run). */
  step: number;
  totalSteps: number;
  elapsedMs: number;
  /** Estimated time left for the whole request. */
  etaMs: number;
  /** Which provider is running this step. */
  provider: ProviderName;
  preview?: LatentPreview;
}

export interface GenerateOptions {
  onProgress?: (progress: GenerationProgress) => void;
  /** Each image as soon as it is finished, so a batch cancelled or failing later loses none of them. */
  onImage?: (image: GeneratedImage) => void | Promise<void>;
  signal?: AbortSignal;
  /**
   * false: run on the provider the parameters name and no other (the self-test); a failure then draws the
   * placeholder instead of falling back. Default true.
   */
  fallback?: boolean;
  /** LoRA files given directly, and the folders `<lora:NAME>` tags and embedding names are found in. */
  adapters?: AdapterSources;
}

/** Milliseconds from an arbitrary origin; injected so tests and benchmarks control time. */
export interface Clock {
  now(): number;
  /** Wall-clock time for the `createdAt` stamp. */
  date(): Date;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
};
