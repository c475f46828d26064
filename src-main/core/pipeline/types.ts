import type { ImageMetadata, ProviderName } from '../../../src-preload/api';

/** One finished image: tightly packed RGB bytes (row-major, HxWx3) and what made it. */
export interface GeneratedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  metadata: ImageMetadata;
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
