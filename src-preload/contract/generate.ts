/** Generating: the request a generation starts from, and what is recorded about the images it makes. */
import { z } from 'zod';
import { providerChoiceSchema, schedulerNameSchema, seedSchema, type ProviderName, type SchedulerName } from './common';
import { galleryIdSchema } from './gallery';
import { modelIdSchema } from './models';

/**
 * Which VAE decoder turns the latents into the image: the model's own (full), the tiny TAESD-style one
 * (fast, a little softer), or auto: the tiny one on a CPU-only run when the model has one.
 */
export const decoderChoices = ['auto', 'full', 'tiny'] as const;
export const decoderChoiceSchema = z.enum(decoderChoices);
export type DecoderChoice = z.infer<typeof decoderChoiceSchema>;
/** The decoder that made an image, as its parameters record it. */
export type DecoderUsed = Exclude<DecoderChoice, 'auto'>;

const imageSide = z
  .number()
  .int()
  .min(64, 'must be at least 64 pixels')
  .max(2048, 'must be at most 2048 pixels')
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');

export const inpaintAreas = ['whole', 'masked'] as const;
export type InpaintArea = (typeof inpaintAreas)[number];
export const maskFills = ['original', 'noise'] as const;
export type MaskFill = (typeof maskFills)[number];

const outpaintSide = z
  .number()
  .int()
  .min(0)
  .max(1024, 'must be at most 1024 pixels')
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');
export const outpaintSchema = z
  .object({ left: outpaintSide, top: outpaintSide, right: outpaintSide, bottom: outpaintSide })
  .strict()
  .refine((o) => o.left + o.top + o.right + o.bottom > 0, 'extend at least one side');
export type Outpaint = z.infer<typeof outpaintSchema>;

const initImageSchema = z
  .object({
    data: z.string().min(1).max(60_000_000),
    strength: z.number().gt(0).max(1),
    /** Inpainting: a PNG or JPEG as base64, white = repaint, black = keep; any size of the image's aspect ratio. */
    mask: z.string().min(1).max(60_000_000).optional(),
    /** Outpainting: pixels to add on each side; the new area is repainted. */
    outpaint: outpaintSchema.optional(),
    /** Gaussian blur (pixels) of the mask for the final paste over the original (A1111's "Mask blur"; default 4). */
    maskBlur: z.number().int().min(0).max(64).optional(),
    /** Repaint at the whole picture's size, or only a crop around the mask at the model's native size (default whole). */
    inpaintArea: z.enum(inpaintAreas).optional(),
    /** Pixels of context around the mask in the "masked" area (default 32). */
    maskPadding: z.number().int().min(0).max(512).optional(),
    /** What the masked area starts from: the original pixels, or latent noise (default original). */
    fill: z.enum(maskFills).optional(),
    /** The gallery image `data` came from, recorded as the result's source. */
    sourceId: galleryIdSchema.optional(),
  })
  .strict()
  .superRefine((init, context) => {
    if (init.mask !== undefined || init.outpaint !== undefined) return;
    for (const field of ['maskBlur', 'inpaintArea', 'maskPadding', 'fill'] as const) {
      if (init[field] !== undefined) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: 'only applies with a mask or outpaint' });
      }
    }
  });

/** Hires fix's largest enlargement, as A1111's slider allows. */
export const MAX_HIRES_SCALE = 4;
export const hiresUpscalers = ['auto', 'lanczos'] as const;
export type HiresUpscalerChoice = (typeof hiresUpscalers)[number];

/**
 * Hires fix: the image is made at the request's size, enlarged `scale` times (the built-in upscaler for auto,
 * else Lanczos), then redrawn from there by img2img at `strength` (A1111's "Denoising strength").
 */
export const hiresSchema = z
  .object({
    scale: z.number().gt(1, 'must be more than 1').max(MAX_HIRES_SCALE, `must be at most ${MAX_HIRES_SCALE}`),
    strength: z.number().gt(0).max(1),
    upscaler: z.enum(hiresUpscalers).default('auto'),
  })
  .strict();
export type HiresOptions = z.output<typeof hiresSchema>;

/** The size hires fix redraws at: A1111's int(side · scale), rounded down to the multiple of 8 the UNet needs. */
export function hiresTargetSide(side: number, scale: number): number {
  return Math.floor(Math.trunc(side * scale) / 8) * 8;
}

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
    /** img2img: a PNG or JPEG as base64, and how far from it the result may move (0–1); with a mask or outpaint, an edit. */
    initImage: initImageSchema.optional(),
    preview: z.boolean().default(true),
    decoder: decoderChoiceSchema.default('auto'),
    hires: hiresSchema.optional(),
  })
  .strict()
  .superRefine((request, context) => {
    if (request.hires === undefined) return;
    if (request.initImage !== undefined) {
      context.addIssue({ code: 'custom', path: ['hires'], message: 'applies to text-to-image only, not with a starting image' });
    }
    for (const side of ['width', 'height'] as const) {
      const target = hiresTargetSide(request[side], request.hires.scale);
      if (target > 2048) {
        context.addIssue({
          code: 'custom',
          path: ['hires', 'scale'],
          message: `would make the ${side} ${target} pixels; at most 2048`,
        });
      }
    }
  });
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
  /** Inpainting and outpainting: what A1111 records as Mask blur, Inpaint area, Masked area padding, Masked content. */
  maskBlur?: number;
  inpaintArea?: InpaintArea;
  maskPadding?: number;
  maskedContent?: MaskFill;
  outpaint?: Outpaint;
  /** The LoRAs applied (from the prompt's `<lora:…>` tags or given directly), with A1111's short hashes. */
  loras?: Array<{ name: string; scale: number; hash: string }>;
  /** Absent for images made before the choice existed, and by other tools: the full decoder. */
  decoder?: DecoderUsed;
  /** Hires fix (A1111's "Hires upscale", "Hires upscaler", "Denoising strength"); the size is the first pass's. */
  hiresScale?: number;
  hiresUpscaler?: string;
  hiresStrength?: number;
  /** An enlarged copy: by how much and with what (A1111's "Postprocess upscale by", "Postprocess upscaler"). */
  upscale?: { scale: number; upscaler: string };
  /** The gallery image this one was made from (an upscale or an edit of it). */
  sourceImage?: string;
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
