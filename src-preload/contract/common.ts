/** What every domain of the contract shares: how failures cross the boundary, and the common value schemas. */
import { z } from 'zod';

export const errorCodes = [
  'invalid_request',
  'unknown_channel',
  'unauthorized',
  'forbidden',
  'not_found',
  'cancelled',
  'model_invalid',
  'model_unsafe',
  'provider_failed',
  'inference_failed',
  'download_failed',
  'checksum_mismatch',
  'disk_full',
  'image_invalid',
  'network',
  'io',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** How a failure crosses the boundary: a code for programs, a message for people. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  detail?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

// ---------------------------------------------------------------------------------------------
// Shared value schemas

export const schedulerNames = [
  'ddim',
  'pndm',
  'lms',
  'euler',
  'euler-a',
  'heun',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'unipc',
  'lcm',
] as const;
export const schedulerNameSchema = z.enum(schedulerNames);
export type SchedulerName = z.infer<typeof schedulerNameSchema>;

export const providerNames = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export const providerNameSchema = z.enum(providerNames);
export type ProviderName = z.infer<typeof providerNameSchema>;
export const providerChoiceSchema = z.enum(['auto', ...providerNames]);
export type ProviderChoice = z.infer<typeof providerChoiceSchema>;

/** Seeds go up to 2^64−1, past what a JSON number holds exactly, so they travel as decimal strings. */
export const MAX_SEED = 18446744073709551615n;
export const seedSchema = z
  .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/)])
  .transform((seed) => String(seed))
  .refine((seed) => BigInt(seed) <= MAX_SEED, { message: 'Seed must be between 0 and 18446744073709551615' });

/** Folders a person names must be full paths (/home/me/Pictures, D:\Art, \\server\share): a relative one would depend on where Easel started. */
export const absolutePath = z
  .string()
  .min(1)
  .regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'must be a full path, such as /home/me/Pictures or C:\\Users\\me\\Pictures');

/** The request of a channel that takes nothing. */
export const noRequest = z.object({}).strict().optional();
