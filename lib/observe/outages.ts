// What Tandem is waiting for right now (a database, the registry, Kafka), said the way an operator
// wants it: one line when the wait starts, one a minute while it lasts, one when the part is back.
// Keyed by the part, so many batches waiting for the same database make one story, not many.
import type { RetryHooks, TandemError } from '../errors';
import type { Logger } from './logger';

export interface Outage {
  /** The part waited for, e.g. `mysql-b` or `schema registry`. */
  what: string;
  sinceMs: number;
  attempts: number;
  lastError: string;
}

export interface OutagesOptions {
  log: Logger;
  /** How often a wait that goes on is logged again. Default one minute. */
  everyMs?: number;
  now?: () => number;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Told about every failed attempt and every recovery (metrics count the retries). */
export interface OutageListener {
  failed(what: string): void;
  recovered?(what: string, waitedMs: number): void;
}

export class Outages {
  private readonly open = new Map<string, Outage & { loggedMs: number }>();
  private readonly listeners: OutageListener[] = [];
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(private readonly o: OutagesOptions) {
    this.everyMs = o.everyMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  listen(listener: OutageListener): void {
    this.listeners.push(listener);
  }

  /** A failed attempt to reach `what` (retried). */
  failed(what: string, error: string, hint?: string): void {
    for (const l of this.listeners) l.failed(what);
    const now = this.now();
    const cur = this.open.get(what);
    if (!cur) {
      this.open.set(what, { what, sinceMs: now, attempts: 1, lastError: error, loggedMs: now });
      this.o.log.warn(`waiting for ${what}: ${error}`, { waitingFor: what, ...(hint ? { hint } : {}), retry: 'with backoff until it answers; offsets are held' });
      return;
    }
    cur.attempts++;
    cur.lastError = error;
    if (now - cur.loggedMs >= this.everyMs) {
      cur.loggedMs = now;
      this.o.log.warn(`still waiting for ${what} (${formatDuration(now - cur.sinceMs)}, ${cur.attempts} attempts): ${error}`, { waitingFor: what, waitedMs: now - cur.sinceMs });
    }
  }

  /** `what` answered again. */
  recovered(what: string): void {
    const cur = this.open.get(what);
    if (!cur) return;
    this.open.delete(what);
    const waited = this.now() - cur.sinceMs;
    for (const l of this.listeners) l.recovered?.(what, waited);
    this.o.log.info(`${what} is back after ${formatDuration(waited)}; resuming`, { waitingFor: what, waitedMs: waited, attempts: cur.attempts });
  }

  /** Retry hooks for `withRetry`; `part` names what is waited for (or picks it from the error). */
  hooks(part: string | ((err: TandemError) => string), signal?: AbortSignal): RetryHooks {
    let what = typeof part === 'string' ? part : '';
    return {
      signal,
      onRetry: (err: TandemError) => {
        what = typeof part === 'string' ? part : part(err);
        this.failed(what, err.message, err.context.hint);
      },
      onRecovered: () => this.recovered(what),
    };
  }

  /** What is being waited for now, oldest first. */
  current(): Outage[] {
    return [...this.open.values()].map(({ loggedMs: _, ...o }) => o).sort((a, b) => a.sinceMs - b.sinceMs);
  }
}
