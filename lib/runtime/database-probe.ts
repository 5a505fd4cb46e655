// Whether a database answers, asked every few seconds (a connection, SELECT 1, closed): readiness
// must see a database that is down even when no row is flowing toward it, which the sink's own
// waits (lib/observe/outages.ts) only show under traffic. /readyz reads the last answer.
import { createConnection } from 'mysql2/promise';
import { redactSecrets } from '../config';
import type { DatabaseStatusSource, ProbeStatus } from '../observe';

export interface DatabaseProbeOptions {
  /** The database id (`a`). */
  id: string;
  /** One attempt; rejects when the database does not answer. Default: connect to `url`, SELECT 1. */
  ping?: () => Promise<void>;
  url?: string;
  everyMs?: number;
  timeoutMs?: number;
}

export function selectOne(url: string, timeoutMs: number): () => Promise<void> {
  return async () => {
    const conn = await createConnection({ uri: url, connectTimeout: timeoutMs });
    try {
      await conn.query({ sql: 'SELECT 1', timeout: timeoutMs });
    } finally {
      conn.destroy();
    }
  };
}

export class DatabaseProbe implements DatabaseStatusSource {
  readonly id: string;
  private state: ProbeStatus = { ok: false, detail: 'not probed yet', sinceMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private readonly ping: () => Promise<void>;

  constructor(private readonly o: DatabaseProbeOptions) {
    this.id = o.id;
    const timeoutMs = o.timeoutMs ?? 2000;
    if (o.ping) this.ping = o.ping;
    else if (o.url) this.ping = selectOne(o.url, timeoutMs);
    else throw new TypeError('DatabaseProbe needs a url or a ping');
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.everyMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): ProbeStatus {
    return { ...this.state };
  }

  /** One probe; a slow one is not overlapped by the next. */
  async check(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await this.ping();
      this.set(true, 'answers');
    } catch (err) {
      this.set(false, `does not answer: ${redactSecrets(err instanceof Error ? err.message || err.name : String(err))}`);
    } finally {
      this.inFlight = false;
    }
  }

  private set(ok: boolean, detail: string): void {
    this.state = { ok, detail, sinceMs: ok === this.state.ok && this.state.sinceMs !== 0 ? this.state.sinceMs : Date.now() };
  }
}
