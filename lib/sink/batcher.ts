// Groups the events of many write() calls into flushes of at most maxRows rows and, with a byte
// limit, at most maxBytes bytes (a flush becomes statements, and a statement may not exceed the
// target's max_allowed_packet), flushed when full or lingerMs after the first waiting row, one
// flush at a time (so order per key holds), and resolves each write() once all of its rows are
// durable. What an event weighs is the caller's to say: no SQL here.
//
// Batchers that write into one database form a group (`group`): a flush of a few rows takes
// along what waits in the group's idle batchers, so a sink that keeps up commits one transaction
// per batch, not one per connection. Each batcher's order still holds: one whose rows went out
// with another's flush starts its next flush only after that one is done.
import { addWriteResult, type ChangeEvent, type SinkWriteResult } from '../model';

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

export interface ByteLimit {
  /** The most bytes one flush takes; asked at each flush (the limit may be learnt late). */
  maxBytes: () => number;
  /** What an event weighs, asked once per event when it is written. */
  sizeOf: (event: ChangeEvent) => number;
}

/** A chunk waiting in the queue, with each event's weight. */
interface Waiting extends Chunk {
  sizes: number[];
}

const unweighed = { maxBytes: () => Infinity, sizeOf: () => 0 };

export class Batcher {
  private queue: Waiting[] = [];
  private rows = 0;
  private bytes = 0;
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The group's other batchers, whose waiting rows a small flush may take along. */
  private peers: readonly Batcher[] = [];
  /** A flush of at most this many rows takes along idle peers' rows (0: never). */
  private coalesceRows = 0;
  /** Writes are being queued in the whole group: no flush starts yet. */
  private held = false;

  constructor(
    private readonly maxRows: number,
    private readonly lingerMs: number,
    private readonly flushFn: FlushFn,
    private readonly limit: ByteLimit = unweighed,
  ) {}

  write(events: readonly ChangeEvent[]): Promise<SinkWriteResult> {
    if (events.length === 0) return Promise.resolve({ applied: 0, skipped: 0, deadLetters: [] });
    return new Promise((resolve, reject) => {
      const ticket: Ticket = { remaining: events.length, result: { applied: 0, skipped: 0, deadLetters: [] }, resolve, reject, failed: false };
      const sizes = events.map((e) => this.limit.sizeOf(e));
      this.queue.push({ ticket, events: [...events], sizes });
      this.rows += events.length;
      for (const n of sizes) this.bytes += n;
      this.schedule();
    });
  }

  /** Writes out everything waiting now and resolves when it is durable (or failed). */
  async flush(): Promise<void> {
    this.due = this.rows > 0;
    this.schedule();
    while (this.running) await this.running;
  }

  /** See `group`. */
  joinGroup(peers: readonly Batcher[], coalesceRows: number): void {
    this.peers = peers;
    this.coalesceRows = coalesceRows;
  }

  /** See `writeAll`: while held, writes queue and no flush starts. */
  hold(on: boolean): void {
    this.held = on;
    if (!on) this.schedule();
  }

  /** Rows waiting to be flushed. */
  get pending(): number {
    return this.rows;
  }

  /** A full flush is waiting: by rows, or by bytes. */
  private full(): boolean {
    return this.rows >= this.maxRows || (this.rows > 0 && this.bytes >= this.limit.maxBytes());
  }

  private schedule(): void {
    if (this.rows === 0 || this.held) return;
    if (this.full() || this.due) {
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

  /**
   * The next flush: events in order while it has fewer than maxRows and the next one still fits
   * in maxBytes. Always at least one event, however heavy: the flush function decides what
   * becomes of an event too large for any statement.
   */
  private take(): { chunks: Chunk[]; rows: number; bytes: number } {
    const out: Chunk[] = [];
    const maxBytes = this.limit.maxBytes();
    let rows = 0;
    let bytes = 0;
    while (rows < this.maxRows && this.queue.length) {
      const head = this.queue[0];
      let n = 0;
      let weight = 0;
      while (n < head.events.length && rows + n < this.maxRows) {
        const next = weight + head.sizes[n];
        if (bytes + next > maxBytes && rows + n > 0) break;
        weight = next;
        n++;
      }
      if (n === 0) break; // the next event would not fit
      const whole = n === head.events.length;
      if (whole) {
        out.push({ ticket: head.ticket, events: head.events });
        this.queue.shift();
      } else {
        out.push({ ticket: head.ticket, events: head.events.splice(0, n) });
        head.sizes.splice(0, n);
      }
      rows += n;
      bytes += weight;
      if (!whole) break; // full, by rows or by bytes
    }
    this.rows -= rows;
    this.bytes -= bytes;
    if (this.rows === 0) {
      this.bytes = 0;
      this.due = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
    return { chunks: out, rows, bytes };
  }

  /**
   * Adds to a flush of few rows what the idle peers have waiting, whole, while it stays within
   * coalesceRows and the byte limit; says which peers gave rows (they wait for this flush).
   */
  private takeAlong(taken: { chunks: Chunk[]; rows: number; bytes: number }): Batcher[] {
    const lent: Batcher[] = [];
    if (taken.rows >= this.coalesceRows) return lent;
    const maxBytes = this.limit.maxBytes();
    let { rows, bytes } = taken;
    for (const peer of this.peers) {
      if (peer.running || peer.rows === 0 || rows + peer.rows > this.coalesceRows || bytes + peer.bytes > maxBytes) continue;
      const more = peer.take();
      taken.chunks.push(...more.chunks);
      rows += more.rows;
      bytes += more.bytes;
      lent.push(peer);
    }
    return lent;
  }

  /** This batcher's rows went out with another's flush: its next flush waits for that one. */
  private lend(flushing: Promise<unknown>): void {
    this.running = flushing.then(
      () => undefined,
      () => undefined,
    );
    void this.running.finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.full() || (this.due && this.rows > 0)) {
      const taken = this.take();
      const chunks = taken.chunks;
      const lent = this.takeAlong(taken);
      let flushing: Promise<SinkWriteResult[]>;
      try {
        flushing = this.flushFn(chunks);
      } catch (err) {
        flushing = Promise.reject(err);
      }
      for (const peer of lent) peer.lend(flushing);
      let results: SinkWriteResult[];
      try {
        results = await flushing;
      } catch (err) {
        for (const c of chunks) fail(c.ticket, err);
        continue;
      }
      chunks.forEach((c, i) => settle(c, results[i]));
    }
  }
}

/**
 * Makes the batchers one group: a flush of at most coalesceRows rows takes along the rows waiting
 * in the idle others (default coalesceRows: 0, never).
 */
export function group(batchers: readonly Batcher[], coalesceRows: number): void {
  for (const b of batchers) b.joinGroup(batchers.filter((other) => other !== b), coalesceRows);
}

/**
 * Writes parts[i] to batchers[i], all queued before any flush starts, so that the first flush can
 * take the others' rows along; resolves with each part's result.
 */
export function writeAll(batchers: readonly Batcher[], parts: readonly (readonly ChangeEvent[])[]): Promise<SinkWriteResult[]> {
  for (const b of batchers) b.hold(true);
  try {
    return Promise.all(parts.map((p, i) => batchers[i].write(p)));
  } finally {
    for (const b of batchers) b.hold(false);
  }
}

function fail(ticket: Ticket, err: unknown): void {
  if (ticket.failed) return;
  ticket.failed = true;
  ticket.reject(err);
}

function settle(chunk: Chunk, r: SinkWriteResult): void {
  const t = chunk.ticket;
  addWriteResult(t.result, r);
  t.remaining -= chunk.events.length;
  if (t.remaining === 0 && !t.failed) t.resolve(t.result);
}
