// Groups the events of many write() calls into flushes of at most maxRows, flushed when full
// or lingerMs after the first waiting row, one flush at a time (so order per key holds), and
// resolves each write() once all of its rows are durable.
import { addTables, type ChangeEvent, type SinkWriteResult } from '../model';

export interface Ticket {
  remaining: number;
  result: SinkWriteResult;
  resolve: (r: SinkWriteResult) => void;
  reject: (err: unknown) => void;
  failed: boolean;
}

/** Consecutive events of one write() call. */
export interface Chunk {
  ticket: Ticket;
  events: ChangeEvent[];
}

/** Outcome of one flush, per chunk (same order). */
export type FlushFn = (chunks: Chunk[]) => Promise<SinkWriteResult[]>;

export class Batcher {
  private queue: Chunk[] = [];
  private rows = 0;
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly maxRows: number,
    private readonly lingerMs: number,
    private readonly flushFn: FlushFn,
  ) {}

  write(events: readonly ChangeEvent[]): Promise<SinkWriteResult> {
    if (events.length === 0) return Promise.resolve({ applied: 0, skipped: 0, deadLetters: [] });
    return new Promise((resolve, reject) => {
      const ticket: Ticket = { remaining: events.length, result: { applied: 0, skipped: 0, deadLetters: [] }, resolve, reject, failed: false };
      this.queue.push({ ticket, events: [...events] });
      this.rows += events.length;
      this.schedule();
    });
  }

  /** Writes out everything waiting now and resolves when it is durable (or failed). */
  async flush(): Promise<void> {
    this.due = this.rows > 0;
    this.schedule();
    while (this.running) await this.running;
  }

  /** Rows waiting to be flushed. */
  get pending(): number {
    return this.rows;
  }

  private schedule(): void {
    if (this.rows === 0) return;
    if (this.rows >= this.maxRows || this.due) {
      this.kick();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.kick();
      }, this.lingerMs);
    }
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private take(): Chunk[] {
    const out: Chunk[] = [];
    let room = this.maxRows;
    while (room > 0 && this.queue.length) {
      const head = this.queue[0];
      if (head.events.length <= room) {
        out.push(head);
        this.queue.shift();
        room -= head.events.length;
      } else {
        out.push({ ticket: head.ticket, events: head.events.splice(0, room) });
        room = 0;
      }
    }
    this.rows -= this.maxRows - room;
    if (this.rows === 0) {
      this.due = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
    return out;
  }

  private async drain(): Promise<void> {
    while (this.rows >= this.maxRows || (this.due && this.rows > 0)) {
      const chunks = this.take();
      let results: SinkWriteResult[];
      try {
        results = await this.flushFn(chunks);
      } catch (err) {
        for (const c of chunks) fail(c.ticket, err);
        continue;
      }
      chunks.forEach((c, i) => settle(c, results[i]));
    }
  }
}

function fail(ticket: Ticket, err: unknown): void {
  if (ticket.failed) return;
  ticket.failed = true;
  ticket.reject(err);
}

function settle(chunk: Chunk, r: SinkWriteResult): void {
  const t = chunk.ticket;
  t.result.applied += r.applied;
  t.result.skipped += r.skipped;
  t.result.deadLetters.push(...r.deadLetters);
  if (r.audits?.length) (t.result.audits ??= []).push(...r.audits);
  if (r.tables) addTables((t.result.tables ??= {}), r.tables);
  t.remaining -= chunk.events.length;
  if (t.remaining === 0 && !t.failed) t.resolve(t.result);
}
