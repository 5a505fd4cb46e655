// Splits Tandem's share of each row's lag (Kafka record timestamp → visible on b) by where the row
// was, from the debug lines of the Tandem process: `batch` (lib/runtime/batch-trace.ts) and `flush`
// (lib/sink/mysql-sink.ts). Kafka and the consume loop (record timestamp → its batch dispatched),
// Tandem's own queueing (lane wait, decoding, stages), the sink's queue (handed to the sink → its
// flush began), its transaction (BEGIN..COMMIT), and the rest until a poller saw the row. A row's
// batch and flush are those whose offset ranges hold its offset.
import { percentile } from './stats';

export interface TracedBatch {
  dispatchedAtMs: number;
  /** When the sink phase began: the batch's rows were handed to the sinks. */
  sinkAtMs: number;
  finishedAtMs: number;
}

/** One sink transaction: when its flush began and when it had committed. */
export interface TracedFlush {
  startedAtMs: number;
  committedAtMs: number;
}

interface Range<T> {
  first: number;
  last: number;
  at: T;
}

/** Per partition of one topic, offset ranges in offset order. */
export type RangeIndex<T> = Map<number, Range<T>[]>;

export interface TraceIndex {
  batches: RangeIndex<TracedBatch>;
  flushes: RangeIndex<TracedFlush>;
}

const RANGES = /^(.*)\[(\d+)\]@([\d,-]+)$/;

interface TraceLine {
  msg?: string;
  offsets?: string[];
  dispatchedAtMs?: number;
  finishedAtMs?: number;
  startedAtMs?: number;
  committedAtMs?: number;
  ms?: number | { sink?: number; publish?: number };
}

function add<T>(index: RangeIndex<T>, topic: string, offsets: readonly string[], at: T): void {
  for (const r of offsets) {
    const m = RANGES.exec(r);
    if (!m || m[1] !== topic) continue;
    const partition = Number(m[2]);
    let ranges = index.get(partition);
    if (!ranges) index.set(partition, (ranges = []));
    for (const run of m[3].split(',')) {
      const [first, last = first] = run.split('-').map(Number);
      ranges.push({ first, last, at });
    }
  }
}

/** Reads the `batch` (runtime) and `flush` (sink) lines of a Tandem log (JSON lines) for the ranges of `topic`. */
export function indexBatchTrace(log: string, topic: string): TraceIndex {
  const index: TraceIndex = { batches: new Map(), flushes: new Map() };
  for (const line of log.split('\n')) {
    const batch = line.includes('"msg":"batch"');
    if (!batch && !line.includes('"msg":"flush"')) continue;
    let rec: TraceLine;
    try {
      rec = JSON.parse(line) as TraceLine;
    } catch {
      continue;
    }
    if (!rec.offsets) continue;
    if (batch && rec.dispatchedAtMs !== undefined && rec.finishedAtMs !== undefined && typeof rec.ms === 'object') {
      const sinkAtMs = rec.finishedAtMs - (rec.ms.publish ?? 0) - (rec.ms.sink ?? 0);
      add(index.batches, topic, rec.offsets, { dispatchedAtMs: rec.dispatchedAtMs, sinkAtMs, finishedAtMs: rec.finishedAtMs });
    } else if (!batch && rec.startedAtMs !== undefined && rec.committedAtMs !== undefined) {
      add(index.flushes, topic, rec.offsets, { startedAtMs: rec.startedAtMs, committedAtMs: rec.committedAtMs });
    }
  }
  for (const ranges of [...index.batches.values(), ...index.flushes.values()]) ranges.sort((x, y) => x.first - y.first);
  return index;
}

/** What holds `offset` of `partition`. Runs overlap only where records were read and applied again (after a rebalance): the later one counts. */
export function holding<T>(index: RangeIndex<T>, partition: number, offset: number): T | undefined {
  const ranges = index.get(partition);
  if (!ranges) return undefined;
  // The last run starting at or before the offset (the sort is stable: a repeat stays after the first).
  let lo = 0;
  let hi = ranges.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].first <= offset) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at >= 0 && ranges[at].last >= offset ? ranges[at].at : undefined;
}

export const batchOf = (index: TraceIndex, partition: number, offset: number) => holding(index.batches, partition, offset);

export const LAG_PARTS = ['kafka', 'queue', 'sinkWait', 'transaction', 'seen'] as const;
export type LagPart = (typeof LAG_PARTS)[number];

export const LAG_PART_LABELS: Record<LagPart, string> = {
  kafka: 'Kafka and the consume loop, held back included (record timestamp -> dispatched)',
  queue: "Tandem's queueing (lane wait, decoding, stages)",
  sinkWait: "the sink's queue (its connection's previous flush, linger)",
  transaction: 'its transaction (BEGIN..COMMIT acknowledged)',
  seen: 'committed -> a poll saw it',
};

export type LagSplit = Record<LagPart, number>;

/** One row's Tandem share split by part; undefined when the trace holds its offset in no batch or no flush. */
export function splitRow(index: TraceIndex, row: { partition: number; offset: number; recordMs: number; visibleMs: number }): LagSplit | undefined {
  const b = holding(index.batches, row.partition, row.offset);
  const f = holding(index.flushes, row.partition, row.offset);
  if (!b || !f) return undefined;
  return { kafka: b.dispatchedAtMs - row.recordMs, queue: b.sinkAtMs - b.dispatchedAtMs, sinkWait: f.startedAtMs - b.sinkAtMs, transaction: f.committedAtMs - f.startedAtMs, seen: row.visibleMs - f.committedAtMs };
}

export interface SplitSummary {
  rows: number;
  /** Per part, p50 and p99 over all split rows. */
  p50: LagSplit;
  p99: LagSplit;
  /** The slowest 1 % of rows by Tandem's share: the mean of each part. */
  tail: LagSplit & { rows: number; total: number };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function byPart(f: (part: LagPart) => number): LagSplit {
  return Object.fromEntries(LAG_PARTS.map((p) => [p, r1(f(p))])) as LagSplit;
}

export function summarize(splits: readonly LagSplit[]): SplitSummary | undefined {
  if (splits.length === 0) return undefined;
  const total = (s: LagSplit) => LAG_PARTS.reduce((sum, p) => sum + s[p], 0);
  const sorted = [...splits].sort((x, y) => total(y) - total(x));
  const tail = sorted.slice(0, Math.max(1, Math.ceil(splits.length / 100)));
  const mean = (part: LagPart) => tail.reduce((s, x) => s + x[part], 0) / tail.length;
  return {
    rows: splits.length,
    p50: byPart((part) => percentile(splits.map((s) => s[part]), 50)),
    p99: byPart((part) => percentile(splits.map((s) => s[part]), 99)),
    tail: { ...byPart(mean), rows: tail.length, total: r1(tail.reduce((s, x) => s + total(x), 0) / tail.length) },
  };
}

export function showSplit(s: SplitSummary): string[] {
  return [
    `Tandem's share split by where the row was (${s.rows} rows, from the batch trace):`,
    ...LAG_PARTS.map((p) => `  ${LAG_PART_LABELS[p].padEnd(60)} p50 ${s.p50[p]}  p99 ${s.p99[p]} ms; slowest 1 %: ${s.tail[p]} ms`),
    `  slowest 1 % (${s.tail.rows} rows): ${s.tail.total} ms on average`,
  ];
}
