/** Generating: the request a generation starts from, and what is recorded about the images it makes. */
import { z } from 'zod';
import { providerChoiceSchema, schedulerNameSchema, seedSchema, type ProviderName, type SchedulerName } from './common';
import { modelIdSchema } from './models';

const imageSide = z
  .number()
  .int()
  .min(64, 'must be at least 64 pixels')
  .max(2048, 'must be at most 2048 pixels')
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');

export const generateRequestSchema = z
  .object({
    modelId: z.string().min(1, 'Choose a model'),
    prompt: z.string().max(20_000),
    negativePrompt: z.string().max(20_000).default(''),
    steps: z.number().int().min(1).max(200),
    guidance: z.number().min(0).max(30),
    width: imageSide,
    height: imageSide,
    scheduler: schedulerNameSchema,
    /** Left out for a random seed, which the core draws (the one seed source). */
    seed: seedSchema.optional(),
    count: z.number().int().min(1).max(16).default(1),
    provider: providerChoiceSchema.default('auto'),
    /** img2img: a PNG or JPEG as base64, and how far from it the result may move (0–1). */
    initImage: z
      .object({ data: z.string().min(1).max(60_000_000), strength: z.number().gt(0).max(1) })
      .strict()
      .optional(),
    preview: z.boolean().default(true),
  })
  .strict();
export type GenerateRequest = z.output<typeof generateRequestSchema>;
export type GenerateRequestInput = z.input<typeof generateRequestSchema>;

/** The parameters that made an image: what the gallery embeds in its PNG and "use these settings" reads. */
export interface GenerationParameters {
  prompt: string;
  negativePrompt: string;
  modelId: string;
  modelName: string;
  scheduler: SchedulerName;
  steps: number;
  guidance: number;
  seed: string;
  width: number;
  height: number;
  strength?: number;
}

export interface GenerationTimings {
  totalMs: number;
  textEncodeMs: number;
  denoiseMs: number;
  decodeMs: number;
  perStepMs: number;
}

/** Everything Easel records about one image, embedded in the PNG and kept in the gallery index. */
export interface ImageMetadata extends GenerationParameters {
  provider: ProviderName | 'placeholder';
  timings: GenerationTimings;
  placeholder: boolean;
  /** Why the placeholder was drawn, or which providers were skipped and why. */
  notes: string[];
  createdAt: string;
  app: string;
}

export interface TokenCount {
  tokens: number;
  /** 75-token chunks the prompt is split into (A1111's way of going past CLIP's 77). */
  chunks: number;
}

export const countTokensRequest = z.object({ modelId: modelIdSchema, prompt: z.string().max(20_000) }).strict();
