import { TandemError, isProgrammerError } from './tandem-error';

export interface RetryPolicy {
  retries: number;
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: share of each delay that is randomised, so retries from many workers spread out. */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 8, initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 };

/** Fast timings for tests: same behaviour, milliseconds instead of seconds. */
export const testRetryPolicy: RetryPolicy = { retries: 5, initialMs: 5, maxMs: 50, factor: 2, jitter: 0 };

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  return Math.round(base * (1 - policy.jitter * Math.random()));
}

export interface RetryHooks {
  /** Called before each wait: log a clear line naming what is retried. */
  onRetry?: (err: TandemError, attempt: number, delayMs: number) => void;
  /** Stops retrying early (shutdown). */
  signal?: AbortSignal;
}

/** Waits `ms`, or less if `signal` aborts first: a stop request never waits out a backoff. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds. Retries only errors of kind `retriable`, with bounded exponential
 * backoff; when retries run out the last error becomes `fatal` (the record was never the problem,
 * so it must not be dead-lettered).
 */
export async function withRetry<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (isProgrammerError(err) || !(err instanceof TandemError) || err.kind !== 'retriable') throw err;
      if (attempt >= policy.retries || hooks.signal?.aborted) {
        throw new TandemError('fatal', `gave up after ${attempt + 1} attempts: ${err.message}`, err.context, { cause: err });
      }
      const delay = backoffMs(policy, attempt);
      hooks.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, hooks.signal);
      if (hooks.signal?.aborted) {
        throw new TandemError('fatal', `stopped while retrying: ${err.message}`, err.context, { cause: err });
      }
    }
  }
}
