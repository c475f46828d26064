/** Adapters: the person's LoRAs and textual-inversion embeddings, named in prompts by file name. */
import { z } from 'zod';

export const adapterKinds = ['lora', 'embedding'] as const;
export type AdapterKind = (typeof adapterKinds)[number];

/**
 * The Stable Diffusion architecture an adapter was made for, from its metadata or its layer widths; null when
 * neither says (a LoRA for a model Easel does not know, such as the built-in demo).
 */
export type AdapterBase = 'sd1' | 'sd2' | 'sdxl';

/** One installed LoRA or embedding, with what its file says about itself. */
export interface AdapterSummary {
  kind: AdapterKind;
  /** The file name without `.safetensors`: what `<lora:NAME:…>` or the prompt writes. */
  name: string;
  bytes: number;
  /** A1111's short hash (what its PNGs carry in `Lora hashes`); empty for a file that no longer opens. */
  hash: string;
  /** What the file says it was trained on, as written there ("sd_v1", "sdxl_base_v1-0"). */
  baseModel: string | null;
  base: AdapterBase | null;
  /** The most frequent training tags, most frequent first: the words that call up what it learnt. */
  triggerWords: string[];
  /** `NAME.preview.png` beside the file, made small, as a data URL; null when there is none. */
  preview: string | null;
  /** A latent-consistency LoRA: the model then draws in about 4 steps with the LCM scheduler. */
  lcm: boolean;
  /** Why the file cannot be used, when it cannot (it is listed so it can be removed). */
  problem: string | null;
}

export interface AdapterList {
  loras: AdapterSummary[];
  embeddings: AdapterSummary[];
}

/**
 * The largest file a page may upload. A LoRA for SD 1.5 is 10–150 MB and most SDXL ones fit; bigger files
 * are imported with `easel loras import`, which reads them from disk.
 */
export const MAX_ADAPTER_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Base64 makes 3 bytes 4 characters; a data URL adds its short prefix. */
export const MAX_ADAPTER_UPLOAD_CHARS = Math.ceil(MAX_ADAPTER_UPLOAD_BYTES / 3) * 4 + 100;

/** A name as a file system keeps it: no folders, nothing hidden, no characters Windows refuses. */
const adapterFileName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\:*?"<>|\p{Cc}]+$/u, 'is not a file name')
  .refine((name) => !name.startsWith('.'), 'is not a file name');

/**
 * A dropped file (base64, as images travel), its name as it was on disk. `kind` 'auto' reads the file to tell a
 * LoRA from an embedding.
 */
export const importAdapterRequest = z
  .object({
    fileName: adapterFileName,
    data: z.string().min(1).max(MAX_ADAPTER_UPLOAD_CHARS, `is larger than ${MAX_ADAPTER_UPLOAD_BYTES / (1024 * 1024)} MB`),
    kind: z.enum(['auto', ...adapterKinds]).default('auto'),
  })
  .strict();

export const adapterNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\\p{Cc}]+$/u, 'is not an installed name')
  .refine((name) => !name.startsWith('.'), 'is not an installed name');
export const removeAdapterRequest = z.object({ kind: z.enum(adapterKinds), name: adapterNameSchema }).strict();
