import { z } from 'zod';
import { inpaintAreas, maskFills, providerNameSchema, schedulerNameSchema, type ImageMetadata } from '../../../src-preload/api';

/** The PNG text keyword under which Easel stores an image's full ImageMetadata as JSON. */
export const EASEL_CHUNK = 'easel';
/** The PNG text keyword A1111 (and tools that read its format) use for the parameters text. */
export const A1111_CHUNK = 'parameters';

const imageMetadataSchema = z.object({
  prompt: z.string(),
  negativePrompt: z.string(),
  modelId: z.string(),
  modelName: z.string(),
  scheduler: schedulerNameSchema,
  steps: z.number().int().positive(),
  guidance: z.number(),
  seed: z.string().regex(/^\d{1,20}$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  strength: z.number().optional(),
  maskBlur: z.number().int().nonnegative().optional(),
  inpaintArea: z.enum(inpaintAreas).optional(),
  maskPadding: z.number().int().nonnegative().optional(),
  maskedContent: z.enum(maskFills).optional(),
  outpaint: z
    .object({ left: z.number().int(), top: z.number().int(), right: z.number().int(), bottom: z.number().int() })
    .optional(),
  loras: z.array(z.object({ name: z.string(), scale: z.number(), hash: z.string() })).optional(),
  decoder: z.enum(['full', 'tiny']).optional(),
  hiresScale: z.number().optional(),
  hiresUpscaler: z.string().optional(),
  hiresStrength: z.number().optional(),
  upscale: z.object({ scale: z.number(), upscaler: z.string() }).optional(),
  sourceImage: z.string().optional(),
  provider: z.union([providerNameSchema, z.literal('placeholder')]),
  timings: z.object({
    totalMs: z.number(),
    textEncodeMs: z.number(),
    denoiseMs: z.number(),
    decodeMs: z.number(),
    perStepMs: z.number(),
  }),
  placeholder: z.boolean(),
  notes: z.array(z.string()),
  createdAt: z.string(),
  app: z.string(),
});

export function formatEaselMetadata(meta: ImageMetadata): string {
  return JSON.stringify(meta);
}

/**
 * The ImageMetadata in an `easel` chunk, or null when there is none or it is not one Easel wrote
 * (unparsable or missing fields): such an image is then read like any other tool's.
 */
export function readEaselMetadata(chunks: Record<string, string>): ImageMetadata | null {
  const text = chunks[EASEL_CHUNK];
  if (text === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = imageMetadataSchema.safeParse(json);
  return parsed.success ? (parsed.data as ImageMetadata) : null;
}
