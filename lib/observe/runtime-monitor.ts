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
  /** Where the batch's wall-clock time went, in order (the runtime's; absent from other reporters). */
  timeline?: BatchTimeline;
  /** When the batch was finished (epoch ms). */
  finishedAtMs: number;
}

/**
 * One batch's wall clock, phase by phase. Phases of different lanes overlap in time (lanes run
 * concurrently): summed over batches they say where the batches wait, not how long a run took.
 */
export interface BatchTimeline {
  /** From its first records' dispatch until its lane was free (the lane's previous batch ran). */
  laneWaitMs: number;
  /** Waiting for its records' decoding (started at dispatch) to finish. */
  decodeWaitMs: number;
  /** The stages, and the retries of a failed apply (waiting for a part that is down). */
  stagesMs: number;
  /** In the sinks' write() until durable: waiting for a connection's turn and the transactions. */
  sinkMs: number;
  /** Publishing dead letters and audit records. */
  publishMs: number;
}

/** The batch phases as metric labels, in order. */
export const BATCH_PHASES = ['laneWaitMs', 'decodeWaitMs', 'stagesMs', 'sinkMs', 'publishMs'] as const satisfies readonly (keyof BatchTimeline)[];

export interface RuntimeMonitor {
  batch(report: BatchReport): void;
  /** The consume loop waited `ms` for `records` records from Kafka (0: none came). */
  polled?(ms: number, records: number): void;
  /** The consume loop did not consume for `ms`: the records in flight had reached their bound (backpressure from the sinks). */
  heldBack?(ms: number): void;
}

/** Several monitors as one. */
export function allMonitors(...monitors: readonly RuntimeMonitor[]): RuntimeMonitor {
  return {
    batch: (report) => monitors.forEach((m) => m.batch(report)),
    polled: (ms, records) => monitors.forEach((m) => m.polled?.(ms, records)),
    heldBack: (ms) => monitors.forEach((m) => m.heldBack?.(ms)),
  };
}
