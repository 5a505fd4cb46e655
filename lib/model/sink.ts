import type { ChangeEvent, DeadLetter } from './change-event';
import type { ConflictRecord } from './conflict-record';

/** What became of a set of events handed to a sink, once it is durable. */
export interface SinkWriteResult {
  /** Rows inserted, updated or deleted in the target. */
  applied: number;
  /** Events the target's last-writer-wins guard refused (older than what it holds), or no-ops. */
  skipped: number;
  deadLetters: DeadLetter[];
  /** Conflicts the sink itself resolved (two keys claiming one UNIQUE value), for the audit output. */
  audits?: ConflictRecord[];
  /** `applied` and `skipped` split per target table (metrics per table); absent when the sink does not tell. */
  tables?: Record<string, TableCounts>;
}

/** One table's share of a write's `applied` and `skipped`. */
export interface TableCounts {
  applied: number;
  skipped: number;
}

/** Adds rows applied and skipped in `table` to a result's totals and to its per-table split. */
export function tally(result: { applied: number; skipped: number; tables?: Record<string, TableCounts> }, table: string, applied: number, skipped: number): void {
  result.applied += applied;
  result.skipped += skipped;
  const tables = (result.tables ??= {});
  const t = (tables[table] ??= { applied: 0, skipped: 0 });
  t.applied += applied;
  t.skipped += skipped;
}

/** Adds one per-table split into another (a write's flushes, a batch's sinks). */
export function addTables(into: Record<string, TableCounts>, from: Readonly<Record<string, TableCounts>> | undefined): void {
  for (const [table, c] of Object.entries(from ?? {})) {
    const t = (into[table] ??= { applied: 0, skipped: 0 });
    t.applied += c.applied;
    t.skipped += c.skipped;
  }
}

/** Adds one result into another (a write's flushes, a write split over several connections). */
export function addWriteResult(into: SinkWriteResult, r: SinkWriteResult): void {
  into.applied += r.applied;
  into.skipped += r.skipped;
  into.deadLetters.push(...r.deadLetters);
  if (r.audits?.length) (into.audits ??= []).push(...r.audits);
  if (r.tables) addTables((into.tables ??= {}), r.tables);
}

/**
 * The end of a topology. Sinks batch on their own (rows / linger); `write` resolves only when
 * every event passed to it is durable in the target or dead-lettered, so the runtime commits
 * Kafka offsets after that and never before.
 */
export interface Sink {
  readonly name: string;
  /** One line for `describe()`. */
  describe(): string;
  write(events: readonly ChangeEvent[]): Promise<SinkWriteResult>;
  /** Write out whatever is buffered now, without waiting for linger. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
