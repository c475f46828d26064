/** Jobs: generations, edits and upscales waiting for, or running on, the GPU (one at a time). */
import { z } from 'zod';
import type { ErrorInfo, ProviderName } from './common';
import type { GalleryItem } from './gallery';
import type { GenerateRequest } from './generate';

export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

/** What a job makes: images from a prompt (txt2img, img2img, hires fix), an edit (inpaint, outpaint), an upscale. */
export const jobKinds = ['generate', 'inpaint', 'upscale'] as const;
export type JobKind = (typeof jobKinds)[number];

export interface JobProgress {
  /** Which image of the batch (0-based) and how many there are. */
  image: number;
  count: number;
  /** Denoising steps done and to do; for an upscale, tiles. */
  step: number;
  totalSteps: number;
  elapsedMs: number;
  etaMs: number | null;
  provider: ProviderName;
  /** A small preview of the latents as a PNG data URL, when asked for. */
  preview: string | null;
}

export interface JobSummary {
  id: string;
  kind: JobKind;
  state: JobState;
  /**
   * The request as it runs: the seed is the one drawn when the request had none. For an upscale, the source
   * image's settings at the size the result will have.
   */
  request: Omit<GenerateRequest, 'initImage' | 'seed'> & { seed: string; strength: number | null };
  /** An upscale's source image, factor and the upscaler's name (`Lanczos` when no model is used); null for other kinds. */
  upscale: { sourceId: string; scale: number; upscaler: string } | null;
  progress: JobProgress | null;
  /** Images saved to the gallery by this job. */
  results: GalleryItem[];
  error: ErrorInfo | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}
export const jobRequest = z.object({ id: z.string().min(1).max(100) }).strict();
