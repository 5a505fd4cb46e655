// What the runtime needs from Kafka, the decoder and the topology, as small interfaces: the
// loop is tested with in-memory fakes, and node-rdkafka / lib/dsl are adapted to them elsewhere.
import type { ChangeEvent, ConflictRecord, DeadLetter, DecodeOptions, Headers, KafkaRecord, TableCounts } from '../model';
import type { CommitOffset } from './offset-tracker';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One consumed record, with its offset exact. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

export interface RebalanceHandler {
  onAssign(partitions: TopicPartition[]): void;
  /** Must finish (flush, commit) before the partitions are given up. */
  onRevoke(partitions: TopicPartition[]): Promise<void>;
}

export interface ConsumerPort {
  subscribe(topics: readonly (string | RegExp)[]): void;
  /** Up to `max` records, waiting a short while when none are there. */
  consume(max: number): Promise<ConsumedRecord[]>;
  commit(offsets: readonly CommitOffset[], sync: boolean): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Last known high watermark (next offset to be written), for lag; null when unknown. */
  highWatermark(topic: string, partition: number): bigint | null;
  setRebalanceHandler(handler: RebalanceHandler): void;
  /** An asynchronous commit failed after `commit` returned: these positions must be committed again. */
  onCommitFailed?(handler: (offsets: readonly CommitOffset[]) => void): void;
  /**
   * The group's committed offset of each partition (by `topic:partition`), null where it has none
   * (a new group, or offsets expired). Absent: unknown.
   */
  committedOffsets?(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>>;
  /** Whether the client is connected to Kafka (readiness); absent: assumed connected. */
  connected?(): boolean;
  disconnect(): Promise<void>;
}

/** The Kafka record the decoder reads. */
export type DecoderRecord = KafkaRecord;

export interface RecordDecoder {
  /** null: a Kafka tombstone (null value), nothing to apply. */
  decode(record: DecoderRecord, options?: DecodeOptions): Promise<ChangeEvent | null>;
  /**
   * The same, synchronously, when nothing has to be fetched (the record's schemas are known);
   * undefined otherwise (then `decode`). Optional: it spares a promise per record.
   */
  decodeCached?(record: DecoderRecord, options?: DecodeOptions): ChangeEvent | null | undefined;
}

export interface SourceSpec {
  /** The source node's name; also the "direction" in lag and logs. */
  name: string;
  topics: readonly (string | RegExp)[];
  /**
   * Server ids whose row changes the source's first stage drops whatever their rows hold (the
   * origin filter's): the runtime decodes those records without their rows.
   */
  dropsServerIds?: ReadonlySet<number>;
}

export interface PipelineOutcome {
  deadLetters: DeadLetter[];
  /** Named counters to add (recordsOut, echoesSuppressed, conflictsResolved, ...). */
  counters: Partial<Record<string, number>>;
  /** Conflicts the stages resolved, for the optional audit topic. */
  audits?: ConflictRecord[];
  /** Every node's counters, by node name (in, out, deadLettered and whatever its stage counts). */
  nodes?: Record<string, Readonly<Record<string, number>>>;
  /** The sinks' rows applied and skipped per target table. */
  tables?: Record<string, TableCounts>;
  /** Of the run, the wall-clock time its sinks' writes took until durable. */
  sinkMs?: number;
}

/** The topology as the runtime drives it: one stage chain per source node, ending in sinks. */
export interface Pipeline {
  readonly sources: readonly SourceSpec[];
  /**
   * Runs the stages and awaits the sinks: resolves once every event is durable or dead-lettered.
   * `onQueued`, when the pipeline supports it, is called once every sink has been given its
   * events (before they are durable): the runtime starts the lane's next batch from then on.
   */
  runBatch(source: string, events: ChangeEvent[], onQueued?: () => void): Promise<PipelineOutcome>;
  close(): Promise<void>;
}

export interface DeadLetterPort {
  /** Resolves once every letter is acknowledged by the broker. */
  publish(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** The optional conflict audit output (TANDEM_AUDIT_TOPIC). */
export interface AuditPort {
  /** Resolves once every record is acknowledged by the broker. */
  publish(records: readonly ConflictRecord[]): Promise<void>;
}
