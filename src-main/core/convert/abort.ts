import { EaselError } from '../errors';

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new EaselError('cancelled', 'The conversion was cancelled; nothing was kept.');
}
