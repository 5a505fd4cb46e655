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
