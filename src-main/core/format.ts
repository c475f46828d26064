import * as shared from '../../src-shared/format';
import { EaselError } from './errors';

/**
 * The shared formatting (src-shared/format.ts) with the core's stance on bad input: a byte count that
 * is negative or not a number is a bug in the caller, refused with a typed error rather than written
 * as "unknown size" into a message.
 */
function checkByteCount(bytes: number): void {
  if (!shared.isByteCount(bytes)) {
    throw new EaselError('invalid_request', `A byte count must be a finite number of zero or more, not ${bytes}.`, {
      bytes,
    });
  }
}

export function formatBytes(bytes: number, options: shared.FormatBytesOptions = {}): string {
  checkByteCount(bytes);
  return shared.formatBytes(bytes, options);
}

export function formatMemory(bytes: number): string {
  checkByteCount(bytes);
  return shared.formatMemory(bytes);
}

export function formatProgress(done: number, total: number): string {
  checkByteCount(done);
  checkByteCount(total);
  return shared.formatProgress(done, total);
}
