/** Waiting between attempts, and the kind of failure worth another attempt. */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A failure worth another try: dropped connection, stall, 5xx, 429. */
export class RetryableError extends Error {}

/**
 * The server cannot be reached at all (no such host, connection refused, no route): offline, most
 * likely. Worth one more try, not a minute of them before anything has been fetched.
 */
export class UnreachableError extends RetryableError {}

/** Tries for an unreachable server while planning: one retry, so being offline is said within seconds. */
export const UNREACHABLE_RETRIES = 1;

export interface RetryPolicy {
  /** Attempts in a row without progress before giving up. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff: base, 2×base, 4×base … capped at maxDelayMs; `attempt` counts from 1. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}
