import os from 'node:os';
import type { ProviderName } from '../../../src-preload/api';

/**
 * How a guided step runs the UNet: 'auto' splits the negative and positive rows into two batch-1 calls
 * when a CPU run would otherwise push the machine's free memory below a margin; 'one-call' and 'two-calls'
 * force either way. A run that splits is a lean one: its CPU sessions also keep no memory arena (about 1 GB
 * less at the peak of an SD 1.5 run at 512x512).
 */
export type GuidanceBatching = 'auto' | 'one-call' | 'two-calls';

/**
 * What the second row of a guided batch adds to a CPU run of an SD 1.5-sized UNet at 64x64 latents: the
 * peak-RSS difference measured between a guided and an unguided 512x512 run (12.3 GB against 7.6 GB, the
 * decoder's share included), so on the safe side.
 */
const SECOND_ROW_BYTES_AT_64X64 = 4.7 * 2 ** 30;
/** What to leave free for the system and the rest of Easel. */
const MARGIN_BYTES = 1 * 2 ** 30;

export function splitsGuidance(
  batching: GuidanceBatching,
  provider: ProviderName,
  latentHeight: number,
  latentWidth: number,
  freeMemory: () => number = os.freemem,
): boolean {
  if (batching !== 'auto') return batching === 'two-calls';
  // GPU memory is not what os.freemem() measures; there the provider's own allocator decides.
  if (provider !== 'cpu') return false;
  const secondRow = SECOND_ROW_BYTES_AT_64X64 * ((latentHeight * latentWidth) / (64 * 64));
  return freeMemory() < secondRow + MARGIN_BYTES;
}
