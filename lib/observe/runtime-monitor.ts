// What the runtime tells the observers (metrics, the status page's recent events) about each batch,
// as plain data: the observers need no runtime types, and the runtime knows none of them.
import type { ChangeEvent, ConflictRecord, DeadLetter, TableCounts } from '../model';

/** One batch of one direction, once it is finished: applied (durable) or dead-lettered. */
export interface BatchReport {
  /** The source node (direction); null for records no source reads. */
  direction: string | null;
  /** Records consumed for this batch, per topic. */
  recordsByTopic: Readonly<Record<string, number>>;
  /** The decoded events the batch ran through its stages (their `source.tsMs` gives the lag behind the source). */
  events: readonly ChangeEvent[];
  /** Every node's counters for this batch, by node name. */
  nodes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The sinks' rows applied and skipped per target table. */
  tables: Readonly<Record<string, TableCounts>>;
  audits: readonly ConflictRecord[];
  deadLetters: readonly DeadLetter[];
  /** From the start of the stages to every sink durable. */
  applyMs: number;
  /** When the batch was finished (epoch ms). */
  finishedAtMs: number;
}

export interface RuntimeMonitor {
  batch(report: BatchReport): void;
}

/** Several monitors as one. */
export function allMonitors(...monitors: readonly RuntimeMonitor[]): RuntimeMonitor {
  return { batch: (report) => monitors.forEach((m) => m.batch(report)) };
}
