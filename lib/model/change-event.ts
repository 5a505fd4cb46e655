import type { ColumnValue, LocalDateTime } from './values';

/** Debezium's operation codes: create, update, delete, read (snapshot); `ddl`: a schema change. */
export type Op = 'c' | 'u' | 'd' | 'r' | 'ddl';

/** One table a schema change names (Debezium's `tableChanges`): what it did, and the table after. */
export interface TableChange {
  /** CREATE, ALTER or DROP. */
  type: string;
  table: string;
  /** Column names in table order after the change (empty for DROP). */
  columns: string[];
}

/**
 * A DDL statement as the source ran it (Debezium's schema-change topic `<prefix>`), ordered with
 * the rows by its binlog position (`source.file`/`pos`).
 */
export interface SchemaChange {
  statement: string;
  /** The database it ran in. */
  database: string;
  tables: TableChange[];
}

/** A row image: column name to decoded value. */
export type Row = Record<string, ColumnValue>;

/** Debezium's `source` block, for the MySQL and MariaDB connectors alike. */
export interface SourceInfo {
  connector: string;
  /** Debezium's logical server name: the topic prefix (`a`, `b`). */
  name: string;
  db: string;
  table: string;
  /** The server id stamped on the binlog event; Tandem's own writes carry Tandem's id. */
  serverId: number;
  gtid: string | null;
  file: string;
  pos: number;
  /** Row number within the binlog event (several rows share file/pos). */
  row: number;
  tsMs: number;
  /** `false` outside snapshots; `true`/`first`/`last`/... during them. */
  snapshot: boolean | string;
  thread: number | null;
}

/** Where a record was read from. Absent on events fed straight into a test driver. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  /** Kafka offsets are int64: kept as a decimal string. */
  offset: string;
  timestamp: number;
}

export type Headers = Record<string, Buffer | string>;

/**
 * What the record's schema says about one column of the row images. The sink reads it to add a
 * column the target lacks (docs/schema-changes.md).
 */
export interface ColumnSchema {
  name: string;
  /** The Avro type of the value: `int`, `long`, `string`, `bytes`, ... */
  type: string;
  /** The Debezium / Kafka Connect semantic type (`io.debezium.time.MicroTimestamp`), if any. */
  semantic?: string;
  optional: boolean;
  /** The schema's default as a column value (null: DEFAULT NULL); undefined when it gives none. */
  default?: ColumnValue;
  /**
   * The field's `connect.parameters`: `scale`, `connect.decimal.precision`, `allowed` (ENUM) and,
   * with Debezium's `column.propagate.source.type`, `__debezium.source.column.type|length|scale`.
   */
  parameters: Readonly<Record<string, string>>;
}

/** Set by the route stage: where the change lands. The sink trusts nothing else. */
export interface Target {
  table: string;
}

/** The one record type every stage sees. */
export interface ChangeEvent {
  op: Op;
  before: Row | null;
  after: Row | null;
  /** Primary-key columns, from the Kafka record key. */
  key: Row;
  source: SourceInfo;
  kafka?: KafkaCoordinates;
  headers: Headers;
  /**
   * The time of a delete, for last-writer-wins. Set where it is known (a delete carried by a
   * Tandem tombstone row: see docs/loop-prevention.md); a delete without it cannot be ordered.
   */
  deletedAt?: LocalDateTime;
  /** Set by `route`. */
  target?: Target;
  /**
   * The columns of `before`/`after` in table order, from the record's schema (the decoder sets
   * it; one shared array per schema). Stages that rename columns leave it as the source has it.
   */
  columns?: readonly ColumnSchema[];
  /** Set on `op: 'ddl'` events only; `source.table` then names the (first) table it changes. */
  ddl?: SchemaChange;
}

/**
 * `event` routed to `target`, its rows replaced when `rows` is given. Every field is written out
 * rather than spread: V8 builds `{ ...event, target }` as a dictionary of about 470 bytes against
 * 120 for this literal, and the route stage makes one per event. A field added to ChangeEvent
 * must be added here too (`satisfies` fails the type check until it is).
 */
export function routedTo(event: ChangeEvent, target: Target, rows?: Pick<ChangeEvent, 'before' | 'after' | 'key'>): ChangeEvent {
  return {
    op: event.op,
    before: rows ? rows.before : event.before,
    after: rows ? rows.after : event.after,
    key: rows ? rows.key : event.key,
    source: event.source,
    kafka: event.kafka,
    headers: event.headers,
    deletedAt: event.deletedAt,
    target,
    columns: event.columns,
    ddl: event.ddl,
  } satisfies Record<keyof ChangeEvent, unknown>;
}

export function isSchemaChange(event: ChangeEvent): event is ChangeEvent & { ddl: SchemaChange } {
  return event.op === 'ddl' && event.ddl !== undefined;
}

/** A record that cannot be processed, on its way to the dead-letter output. */
export interface DeadLetter {
  /** Stable name of the stage, decoder or sink that refused it. */
  stage: string;
  reason: string;
  event?: ChangeEvent;
  /** The original Kafka bytes, when the record came from Kafka. */
  raw?: { key: Buffer | null; value: Buffer | null; headers?: Headers };
  kafka?: KafkaCoordinates;
}

export function isDelete(event: ChangeEvent): boolean {
  return event.op === 'd';
}

/** The row image that describes the change: `after`, or `before` for deletes. */
export function rowOf(event: ChangeEvent): Row {
  const row = event.op === 'd' ? event.before : event.after;
  if (!row) throw new TypeError(`change event (op ${event.op}) on ${event.source.table} has no row image`);
  return row;
}
