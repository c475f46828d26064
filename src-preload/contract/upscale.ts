/** Upscaling a gallery image: enlarged 2 or 4 times in tiles by an upscaler model, or by Lanczos resampling. */
import { z } from 'zod';
import { galleryIdSchema } from './gallery';

/** auto: the built-in upscaler for the factor (Lanczos where it is missing); lanczos: resampling only. */
export const upscalerChoices = ['auto', 'lanczos'] as const;
export type UpscalerChoice = (typeof upscalerChoices)[number];

export const upscaleRequestSchema = z
  .object({
    imageId: galleryIdSchema,
    scale: z.union([z.literal(2), z.literal(4)], { message: 'must be 2 or 4' }),
    upscaler: z.enum(upscalerChoices).default('auto'),
  })
  .strict();
export type UpscaleRequest = z.output<typeof upscaleRequestSchema>;
export type UpscaleRequestInput = z.input<typeof upscaleRequestSchema>;
export type UpscaleFactor = UpscaleRequest['scale'];
