import type { ErrorCode, ErrorInfo } from '../../src-preload/api';

export type { ErrorCode, ErrorInfo };

/**
 * Every failure that crosses the app's boundary is one of the contract's codes with a message a person
 * can act on. `detail` carries machine-readable context (the offending field, a path, a byte count).
 */
export class EaselError extends Error {
  override readonly name = 'EaselError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }

  toInfo(): ErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

/** Turns anything thrown into an ErrorInfo; unknown errors keep their message but not their stack. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof EaselError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong inside Easel: ${message}` };
}
