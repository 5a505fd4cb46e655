import { ddlTable, tableRename } from '../ddl';
import { TandemError, poison, type ErrorContext } from '../errors';
import type { ChangeEvent, DecodeOptions, KafkaRecord, Op, Row } from '../model';
import { HEADER_LENGTH, wireFormatProblem, type SchemaSource } from '../registry';
import { CompiledSchema } from './compiled-schema';
import { toSourceInfo, type EnvelopePlan, type RawSource } from './envelope-plan';

export interface DebeziumDecoderOptions {
  schemas: SchemaSource;
  /** Name in errors, logs and dead letters. Default `debezium-decoder`. */
  stage?: string;
}

interface RawEnvelope {
  op: string;
  before: unknown;
  after: unknown;
  source: RawSource;
}

const OPS = new Set<string>(['c', 'u', 'd', 'r']);

interface RawSchemaChange {
  source: RawSource;
  databaseName: string | null;
  ddl: string | null;
  tableChanges: { type: unknown; id: unknown; table: { columns: { name: unknown }[] } | null }[] | null;
}

/** `"chat"."rooms"` (Debezium's table id) → `rooms`. */
function lastIdentifier(id: string): string {
  const parts = id.match(/"((?:[^"]|"")*)"|[^."]+/g) ?? [id];
  const last = parts[parts.length - 1];
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last;
}
// Hot path: tsx/esbuild turn imported names into getter calls on every use; read them once.
const HEADER = HEADER_LENGTH;
const sourceInfoOf = toSourceInfo;

/**
 * Decodes Debezium change events (Confluent-framed Avro keys and values) into `ChangeEvent`s.
 * Schemas are fetched by id once and compiled once; after that `decodeCached` decodes without
 * awaiting. Errors are `TandemError`s: `poison` for records that can never decode, `retriable`
 * when the registry is unavailable.
 */
export class DebeziumDecoder {
  readonly stage: string;
  private readonly schemas: SchemaSource;
  private readonly compiled = new Map<number, CompiledSchema>();
  private readonly loading = new Map<number, Promise<CompiledSchema>>();

  constructor(options: DebeziumDecoderOptions) {
    this.schemas = options.schemas;
    this.stage = options.stage ?? 'debezium-decoder';
  }

  /** The event, or null for a Kafka tombstone (null value). */
  decode(record: KafkaRecord, options?: DecodeOptions): Promise<ChangeEvent | null> {
    // Not an async function: a cached schema resolves without the extra async-function turn.
    try {
      const cached = this.decodeCached(record, options);
      if (cached !== undefined) return Promise.resolve(cached);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.fetchThenDecode(record, options);
  }

  private async fetchThenDecode(record: KafkaRecord, options: DecodeOptions | undefined): Promise<ChangeEvent | null> {
    const ids = [this.idOf(record.value!, 'value', record)];
    if (record.key !== null) ids.push(this.idOf(record.key, 'key', record));
    await Promise.all(ids.map((id) => this.load(id, record)));
    return this.decodeCached(record, options) as ChangeEvent;
  }

  /**
   * Synchronous decode once the record's schemas are cached; `undefined` when one is not yet
   * (then call `decode`). Null for a Kafka tombstone.
   */
  decodeCached(record: KafkaRecord, options?: DecodeOptions): ChangeEvent | null | undefined {
    const value = record.value;
    if (value === null) return null;
    const valueSchema = this.compiled.get(this.idOf(value, 'value', record));
    if (valueSchema === undefined) return undefined;
    let keySchema: CompiledSchema | undefined;
    if (record.key !== null) {
      keySchema = this.compiled.get(this.idOf(record.key, 'key', record));
      if (keySchema === undefined) return undefined;
    }
    return this.build(record, value, valueSchema, keySchema, options?.withoutRowsFrom);
  }

  /** Whether a schema id is fetched and compiled. */
  has(schemaId: number): boolean {
    return this.compiled.has(schemaId);
  }

  private idOf(buf: Buffer, what: 'key' | 'value', record: KafkaRecord): number {
    // Checked inline: this runs for every record and must not allocate on the good path.
    if (buf.length >= HEADER && buf[0] === 0) return buf.readUInt32BE(1);
    throw this.poison(record, wireFormatProblem(buf, what)!);
  }

  private build(record: KafkaRecord, value: Buffer, valueSchema: CompiledSchema, keySchema: CompiledSchema | undefined, withoutRowsFrom: ReadonlySet<number> | undefined): ChangeEvent {
    if (valueSchema.isSchemaChange()) return this.schemaChange(record, value, valueSchema);
    const plan = valueSchema.envelope();
    if (typeof plan === 'string') throw this.poison(record, `value schema id ${valueSchema.id}: ${plan}`);
    if (withoutRowsFrom !== undefined) {
      const rowless = this.withoutRows(record, value, valueSchema, plan, withoutRowsFrom);
      if (rowless !== undefined) return rowless;
    }
    const reader = valueSchema.envelopeReader();
    let raw: RawEnvelope;
    try {
      raw = reader.type.fromBuffer(value.subarray(HEADER), reader.resolver) as RawEnvelope;
    } catch (err) {
      throw this.poison(record, `value is not valid Avro for schema id ${valueSchema.id} (${plan.envelopeName}): ${messageOf(err)}`, err);
    }
    const op = raw.op;
    if (op === 't') return this.truncate(record, raw);
    if (!OPS.has(op)) throw this.poison(record, `unsupported Debezium op ${JSON.stringify(op)} in ${plan.envelopeName} (expected c, u, d, r or t)`);
    try {
      return {
        op: op as Op,
        before: raw.before === null ? null : plan.row.toRow(raw.before),
        after: raw.after === null ? null : plan.row.toRow(raw.after),
        key: keySchema === undefined ? {} : this.key(record, record.key!, keySchema),
        source: sourceInfoOf(raw.source),
        kafka: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
        headers: record.headers,
        columns: plan.row.columns,
      };
    } catch (err) {
      if (err instanceof TandemError) throw err;
      throw this.poison(record, `a column of ${plan.row.recordName} holds a value Tandem cannot read: ${messageOf(err)}`, err);
    }
  }

  /**
   * The event without its rows and key when its server id is one of `from` and it is a row
   * change; undefined otherwise (and for bytes that do not read: the full decode names the
   * problem). Skipping the rows builds none of their values: an echo that the first stage drops
   * costs a look at one number and the source block instead of a whole decode.
   */
  private withoutRows(record: KafkaRecord, value: Buffer, schema: CompiledSchema, plan: EnvelopePlan, from: ReadonlySet<number>): ChangeEvent | undefined {
    const bytes = value.subarray(HEADER);
    let raw: Pick<RawEnvelope, 'op' | 'source'>;
    try {
      const peek = schema.serverIdReader();
      const who = peek.type.fromBuffer(bytes, peek.resolver) as { source: { server_id: number | bigint } };
      if (!from.has(Number(who.source.server_id))) return undefined;
      const head = schema.headReader();
      raw = head.type.fromBuffer(bytes, head.resolver) as typeof raw;
    } catch {
      return undefined;
    }
    if (!OPS.has(raw.op)) return undefined;
    return {
      op: raw.op as Op,
      before: null,
      after: null,
      key: {},
      source: sourceInfoOf(raw.source),
      kafka: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
      headers: record.headers,
      columns: plan.row.columns,
    };
  }

  /**
   * A TRUNCATE (op `t`, on the table's own topic; Debezium does not put it on the schema-change
   * topic): a schema change like the others, in its place among the table's rows.
   */
  private truncate(record: KafkaRecord, raw: RawEnvelope): ChangeEvent {
    const source = sourceInfoOf(raw.source);
    return {
      op: 'ddl',
      before: null,
      after: null,
      key: {},
      source,
      kafka: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
      headers: record.headers,
      ddl: { statement: `TRUNCATE TABLE \`${source.table.replace(/`/g, '``')}\``, database: source.db, tables: [{ type: 'TRUNCATE', table: source.table, columns: [] }] },
    };
  }

  /** A record of the schema-change topic: the DDL statement, ordered with rows by its binlog position. */
  private schemaChange(record: KafkaRecord, value: Buffer, schema: CompiledSchema): ChangeEvent {
    let raw: RawSchemaChange;
    try {
      raw = schema.type!.fromBuffer(value.subarray(HEADER)) as RawSchemaChange;
    } catch (err) {
      throw this.poison(record, `value is not valid Avro for schema id ${schema.id} (a schema change): ${messageOf(err)}`, err);
    }
    const tables = (raw.tableChanges ?? []).map((tc) => ({
      type: String(tc.type),
      table: lastIdentifier(String(tc.id)),
      columns: (tc.table?.columns ?? []).map((c) => String(c.name)),
    }));
    const source = sourceInfoOf(raw.source);
    // A renamed table's changes until the rename are in the old name's lane: the rename goes
    // there, behind them. CREATE / DROP INDEX come without a table: the statement names it.
    const rename = tableRename(raw.ddl ?? '');
    if (rename && tables[0]?.table !== rename.from) tables.unshift({ type: 'ALTER', table: rename.from, columns: [] });
    const named = tables[0]?.table ?? (source.table || ddlTable(raw.ddl ?? '') || '');
    if (tables.length === 0 && named) tables.push({ type: 'ALTER', table: named, columns: [] });
    return {
      op: 'ddl',
      before: null,
      after: null,
      key: {},
      source: source.table && !rename ? source : { ...source, table: named },
      kafka: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
      headers: record.headers,
      ddl: { statement: raw.ddl ?? '', database: raw.databaseName ?? source.db, tables },
    };
  }

  private key(record: KafkaRecord, key: Buffer, schema: CompiledSchema): Row {
    const plan = schema.key();
    if (typeof plan === 'string') throw this.poison(record, `key schema id ${schema.id}: ${plan}`);
    let raw: unknown;
    try {
      raw = schema.type!.fromBuffer(key.subarray(HEADER));
    } catch (err) {
      throw this.poison(record, `key is not valid Avro for schema id ${schema.id} (${plan.recordName}): ${messageOf(err)}`, err);
    }
    return plan.toRow(raw);
  }

  private load(id: number, record: KafkaRecord): Promise<CompiledSchema> {
    const done = this.compiled.get(id);
    if (done) return Promise.resolve(done);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.schemas
        .getSchema(id)
        .then((json) => {
          const compiled = new CompiledSchema(id, json);
          this.compiled.set(id, compiled);
          return compiled;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending.catch((err: unknown) => {
      if (err instanceof TandemError) {
        throw new TandemError(err.kind, `${err.message} (record ${where(record)})`, { ...err.context, ...this.context(record) }, { cause: err });
      }
      throw err;
    });
  }

  private context(record: KafkaRecord): ErrorContext {
    return { stage: this.stage, topic: record.topic, partition: record.partition, offset: record.offset };
  }

  private poison(record: KafkaRecord, message: string, cause?: unknown): TandemError {
    return poison(`${message} (record ${where(record)})`, { ...this.context(record), hint: 'the record goes to the dead-letter topic' }, cause);
  }
}

function where(record: KafkaRecord): string {
  return `${record.topic}[${record.partition}]@${record.offset}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
