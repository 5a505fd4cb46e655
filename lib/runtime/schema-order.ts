// The order of schema changes among the rows of their table, across the two topics they come on
// (Debezium's schema-change topic and the table's row topic): binlog positions decide, and a lane
// never applies a statement before rows written ahead of it, nor a row before its statement.
import type { ChangeEvent, DeadLetter } from '../model';
import type { ConsumedRecord } from './ports';

/** A schema-change record, decoded when dispatched (its table decides its lane). */
export interface Prepared {
  record: ConsumedRecord;
  event: ChangeEvent | undefined;
  deadLetters: DeadLetter[];
  /** Applied already by an earlier batch of its lane, which took it from `queuedDdl`. */
  taken?: boolean;
}

/**
 * A schema change read before rows its source wrote ahead of it: the row topic is fetched
 * separately (and paused while its lane is behind), so the schema-change topic can be ahead. It
 * waits until its table's row partitions have been read up to where they stood when it arrived.
 */
export interface DeferredDdl {
  prepared: Prepared;
  lane: string;
  source: string;
  /** Row partitions (partitionKey) and the offset each must be read up to (its high watermark then). */
  until: Map<string, bigint>;
  sinceMs: number;
  countdown: (r: ConsumedRecord) => void;
}

/**
 * How long a schema change waits for rows when the runtime cannot tell where its table's row
 * partition stands (nothing read from it since it was assigned: everything may be committed).
 */
export const DDL_DEFER_UNKNOWN_MS = 10_000;

/** How much older than this start a TRUNCATE read by a new group must be to count as the past. */
export const PAST_MARGIN_MS = 60_000;

/** Binlog order of two events of one source: negative when `x` was written first. */
function binlogCompare(x: ChangeEvent, y: ChangeEvent): number {
  const [a, b] = [x.source, y.source];
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.pos - b.pos || a.row - b.row;
}

/** Events of several topics (rows and the DDL among them) in the order their source wrote them. */
export function inBinlogOrder(events: ChangeEvent[]): ChangeEvent[] {
  if (!events.some((e) => e.op === 'ddl')) return events;
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => binlogCompare(x.e, y.e) || x.i - y.i)
    .map((x) => x.e);
}

/**
 * Takes from a lane's queue the schema changes written before the last of `events` (they belong
 * among them), marking them applied so their own later batch skips them.
 */
export function takeQueuedDdl(queue: Prepared[], events: readonly ChangeEvent[]): ChangeEvent[] {
  const last = events.reduce<ChangeEvent | undefined>((m, e) => (m === undefined || binlogCompare(e, m) > 0 ? e : m), undefined);
  if (!last) return [];
  const taken: ChangeEvent[] = [];
  for (const p of queue) {
    if (!p.taken && p.event && binlogCompare(p.event, last) < 0) {
      p.taken = true;
      taken.push(p.event);
    }
  }
  return taken;
}
