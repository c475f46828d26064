/** Upscaling a gallery image: enlarged 2 or 4 times in tiles by an upscaler model, or by Lanczos resampling. */
import { z } from 'zod';
import { galleryIdSchema } from './gallery';
import { modelIdSchema } from './models';

/**
 * auto: the built-in upscaler for the factor (Lanczos where it is missing); lanczos: resampling only; any other
 * value is the id of an installed upscaler model (Models lists them).
 */
export const upscalerChoices = ['auto', 'lanczos'] as const;

export const upscaleRequestSchema = z
  .object({
    imageId: galleryIdSchema,
    scale: z.union([z.literal(2), z.literal(4)], { message: 'must be 2 or 4' }),
    upscaler: z.union([z.enum(upscalerChoices), modelIdSchema]).default('auto'),
  })
  .strict();
export type UpscaleRequest = z.output<typeof upscaleRequestSchema>;
export type UpscaleRequestInput = z.input<typeof upscaleRequestSchema>;
export type UpscaleFactor = UpscaleRequest['scale'];
