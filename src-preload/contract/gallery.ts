/** The gallery: PNGs in the gallery folder with their parameters embedded, and the settings read from other apps' PNGs. */
import { z } from 'zod';
import type { GenerationParameters, ImageMetadata } from './generate';

export type ParametersSource = 'easel' | 'a1111' | 'comfyui' | 'invokeai' | 'fooocus';

/** One image in the gallery: a PNG in the gallery folder with its parameters embedded. */
export interface GalleryItem {
  /** The file name: stable across index rebuilds. */
  id: string;
  createdAt: string;
  width: number;
  height: number;
  favourite: boolean;
  source: ParametersSource | 'none';
  meta: ImageMetadata;
}

export interface GalleryPage {
  total: number;
  items: GalleryItem[];
}

/** A model the gallery's images were made with, even one no longer installed. */
export interface GalleryModel {
  modelId: string;
  modelName: string;
  count: number;
}

/**
 * Parameters read from a dropped PNG (Easel's own, A1111's, ComfyUI's or InvokeAI's). The prompt's `<lora:>` tags
 * name the installed files, found by A1111 hash when the image named them otherwise; `lorasNotInstalled` lists
 * those found under no name.
 */
export type ImportedParameters = Partial<GenerationParameters> & { source: ParametersSource; lorasNotInstalled?: string[] };

export const galleryIdSchema = z
  .string()
  .regex(/^[^/\\]{1,255}\.png$/i, 'is not a gallery image')
  .refine((id) => !id.startsWith('.'), 'is not a gallery image');
export const galleryRequest = z.object({ id: galleryIdSchema }).strict();
const isoDate = z.iso.datetime({ offset: true });

export const galleryListSchema = z
  .object({
    query: z.string().max(500).optional(),
    modelId: z.string().max(200).optional(),
    favourite: z.boolean().optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict();
export type GalleryListRequest = z.input<typeof galleryListSchema>;

export const setFavouriteRequest = z.object({ id: galleryIdSchema, favourite: z.boolean() }).strict();
/** A dropped PNG as base64, to read its settings from. */
export const readParametersRequest = z.object({ data: z.string().min(1).max(60_000_000) }).strict();
