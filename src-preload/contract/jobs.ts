/** Jobs: generation requests waiting for, or running on, the GPU (one at a time). */
import { z } from 'zod';
import type { ErrorInfo, ProviderName } from './common';
import type { GalleryItem } from './gallery';
import type { GenerateRequest } from './generate';

export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

export interface JobProgress {
  /** Which image of the batch (0-based) and how many there are. */
  image: number;
  count: number;
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
  state: JobState;
  /** The request as it runs: the seed is the one drawn when the request had none. */
  request: Omit<GenerateRequest, 'initImage' | 'seed'> & { seed: string; strength: number | null };
  progress: JobProgress | null;
  /** Images saved to the gallery by this job. */
  results: GalleryItem[];
  error: ErrorInfo | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}
export const jobRequest = z.object({ id: z.string().min(1).max(100) }).strict();
