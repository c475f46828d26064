/** Models: the ones Easel knows (built in, in the catalog, imported), where each is in its life, and downloads. */
import { z } from 'zod';
import { absolutePath, type ErrorInfo, type SchedulerName } from './common';

/** Stable Diffusion families, and `upscaler`: a super-resolution model that enlarges pictures and takes no prompt. */
export const modelFamilies = ['sd15', 'sd21', 'sd-turbo', 'sdxl', 'sdxl-turbo', 'lcm', 'demo', 'upscaler', 'tiny-decoder'] as const;
export type ModelFamily = (typeof modelFamilies)[number];

/** Where a model is in its life on this machine. */
export type ModelState =
  | 'available'
  | 'downloading'
  | 'paused'
  | 'failed'
  | 'installed'
  | 'partial'
  | 'corrupt'
  | 'missing-files';

export interface DownloadStatus {
  state: 'starting' | 'downloading' | 'paused' | 'failed' | 'done';
  bytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** What a person should know now ("Connection dropped at 1.2 of 2.6 GB — will resume"). */
  message: string;
  error: ErrorInfo | null;
}

/** What a model can draw, said where prompts are typed; written in the catalog, per model. */
export interface ModelCapabilities {
  /** One or two sentences: what it draws well, and its limits. */
  summary: string;
  /** Prompts that work, one click away in the prompt field. */
  examples: string[];
  /** The prompt box's placeholder: something this model can draw. */
  placeholder: string;
  /** A model to suggest for more than this one can do (the demo suggests a real one); null when none. */
  suggestedModelId: string | null;
}

export interface ModelSummary {
  id: string;
  name: string;
  description: string;
  family: ModelFamily;
  /** Repaints only a masked part of a starting image (a 9-channel UNet): offered for edits, never for text-to-image. */
  inpainting: boolean;
  /** The installed model carries a tiny decoder (vae_decoder_tiny/): the Generate form offers the fast decoder only then. */
  tinyDecoder: boolean;
  /** For an upscaler (family `upscaler`): how many times it enlarges a picture's sides; null for the others. */
  upscaleFactor: 2 | 4 | null;
  origin: 'builtin' | 'catalog' | 'imported';
  state: ModelState;
  readOnly: boolean;
  /** Download size for a catalog model not yet here (approximate), else the bytes on disk. */
  sizeBytes: number;
  defaults: { scheduler: SchedulerName; steps: number; guidance: number; width: number; height: number };
  /** The schedulers that draw this model's pictures right: the Generate form offers these, the core refuses others. */
  schedulers: SchedulerName[];
  requirements: { minRamGb: number; minVramGb: number } | null;
  licence: { name: string; url: string } | null;
  /** From the catalog; null for an imported model, whose abilities Easel cannot know. */
  capabilities: ModelCapabilities | null;
  download: DownloadStatus | null;
}

/** What a download would take, for the question asked before it starts. */
export interface DownloadPlanSummary {
  id: string;
  totalBytes: number;
  remainingBytes: number;
  freeBytes: number;
  folder: string;
  /** The disk the folder is on (its mount point), as people know it: "/home", "D:\\". */
  volume: string;
}

export interface VerifySummary {
  id: string;
  ok: boolean;
  problems: string[];
}

/** Ids name folders, so they are a safe file name. */
export const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/i, 'is not a model id');
export const modelRequest = z.object({ id: modelIdSchema }).strict();
/** Names one checkpoint import, chosen by the window that starts it, so it can follow and cancel it. */
export const importIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'is not an import id');
/** A model folder, or a single-file `.safetensors` checkpoint to convert (`name` names the result). */
export const importModelRequest = z
  .object({
    path: absolutePath,
    mode: z.enum(['copy', 'reference']).default('copy'),
    name: z.string().trim().min(1).max(200).optional(),
    /** Follows a checkpoint's conversion through `models.importProgress` and lets `models.cancelImport` stop it. */
    importId: importIdSchema.optional(),
  })
  .strict();

export const cancelImportRequest = z.object({ importId: importIdSchema }).strict();

/** The largest checkpoint an upload may carry: SDXL in fp32 is about 14 GB. */
export const MAX_CHECKPOINT_UPLOAD_BYTES = 32 * 1024 ** 3;

/**
 * A checkpoint sent as the body of an upload (a dropped or chosen file, where the page cannot name a path):
 * its file name, which must be a plain `.safetensors` name, and its exact size.
 */
export const uploadCheckpointRequest = z
  .object({
    importId: importIdSchema,
    fileName: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\\\0]+\.safetensors$/i, 'must be a .safetensors file name'),
    size: z.number().int().positive().max(MAX_CHECKPOINT_UPLOAD_BYTES),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** The steps of a checkpoint import, in the order they run. */
export const importStageNames = [
  'receiving',
  'checking',
  'reading',
  'text_encoder',
  'text_encoder_2',
  'unet',
  'vae_decoder',
  'vae_encoder',
  'writing',
  'verifying',
  'installing',
] as const;
export type ImportStageName = (typeof importStageNames)[number];

/** Where a checkpoint import is: every stage it will run (known once the file's header is read) and the current one. */
export interface ImportProgress {
  importId: string;
  fileName: string;
  stages: Array<{ stage: ImportStageName; label: string }>;
  /** Position of the current stage in `stages`. */
  index: number;
  /** While receiving: the bytes that arrived, of `totalBytes`. */
  bytes: number | null;
  totalBytes: number | null;
}
