import { TandemError, isProgrammerError } from './tandem-error';

export interface RetryPolicy {
  /** Retries after the first attempt; `Infinity`: until it succeeds or the caller stops. */
  retries: number;
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: share of each delay that is randomised, so retries from many workers spread out. */
  jitter: number;
}

/**
 * What a sync service does when a part it needs is down: wait, for as long as it takes, with a
 * capped backoff (so it resumes within `maxMs` of the part's return). Only errors no wait can fix
 * (kind `fatal` or `poison`) end the wait.
 */
export const defaultRetryPolicy: RetryPolicy = { retries: Infinity, initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

/** Fast timings for tests: same behaviour, milliseconds instead of seconds. */
export const testRetryPolicy: RetryPolicy = { retries: 5, initialMs: 5, maxMs: 50, factor: 2, jitter: 0 };

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  return Math.round(base * (1 - policy.jitter * Math.random()));
}

export interface RetryHooks {
  /** Called before each wait: log a clear line naming what is retried. */
  onRetry?: (err: TandemError, attempt: number, delayMs: number) => void;
  /** Called once `fn` succeeded after at least one retry: what it waited for is back. */
  onRecovered?: (attempts: number, waitedMs: number) => void;
  /** Stops retrying early (shutdown). */
  signal?: AbortSignal;
}

/**
 * A wait ended by a stop request, not by the part: the work it was for is left undone (and its
 * offsets uncommitted), which is not a failure of the run.
 */
export class RetryStopped extends TandemError {
  constructor(readonly last: TandemError) {
    super('fatal', `stopped while waiting: ${last.message}`, last.context, { cause: last });
    this.name = 'RetryStopped';
  }
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
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await fn(attempt);
      if (attempt > 0) hooks.onRecovered?.(attempt + 1, Date.now() - started);
      return value;
    } catch (err) {
      if (isProgrammerError(err) || !(err instanceof TandemError) || err.kind !== 'retriable') throw err;
      if (hooks.signal?.aborted) throw new RetryStopped(err);
      if (attempt >= policy.retries) {
        throw new TandemError('fatal', `gave up after ${attempt + 1} attempts: ${err.message}`, err.context, { cause: err });
      }
      const delay = backoffMs(policy, attempt);
      hooks.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, hooks.signal);
      if (hooks.signal?.aborted) throw new RetryStopped(err);
    }
  }
}
