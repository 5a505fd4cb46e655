import type { Type } from 'avsc';
import type { ChangeEvent, Headers, KafkaRecord, Op, Row, SourceInfo } from '../model';
import { frame, type SchemaRegistry } from '../registry';
import { CompiledSchema } from './compiled-schema';
import type { EnvelopeSchemas } from './envelope-schema';
import type { EnvelopePlan } from './envelope-plan';
import type { RowPlan } from './row-plan';
import { shippedSchemas } from './shipped-schemas';

/** What a change event needs to be produced: a `ChangeEvent`, or just its parts. */
export interface EncodableEvent {
  op: Op;
  before: Row | null;
  after: Row | null;
  source: SourceInfo;
  /** Primary-key columns; taken from the row image when absent. */
  key?: Row;
  /** Envelope `ts_ms`; defaults to `source.tsMs`. */
  tsMs?: number;
}

export interface EncodedRecord {
  key: Buffer | null;
  value: Buffer | null;
}

export interface DebeziumEncoderOptions {
  registry: SchemaRegistry;
  /** Key and value schemas of a topic; default: the ones shipped under schemas/debezium (MariaDB). */
  schemasFor?: (topic: string) => EnvelopeSchemas;
  /** `source.version` written into events. */
  debeziumVersion?: string;
}

interface TopicCodec {
  keyId: number;
  valueId: number;
  keyType: Type;
  valueType: Type;
  keyPlan: RowPlan;
  envelope: EnvelopePlan;
}

/**
 * Produces Debezium change events in the wire format Debezium + an Avro converter write
 * (Confluent framing, schemas registered under `<topic>-key` / `<topic>-value`). The inverse of
 * `DebeziumDecoder`: what tests, the topology test driver and users' producers feed in.
 */
export class DebeziumEncoder {
  private readonly registry: SchemaRegistry;
  private readonly schemasFor: (topic: string) => EnvelopeSchemas;
  private readonly version: string;
  private readonly topics = new Map<string, Promise<TopicCodec>>();

  constructor(options: DebeziumEncoderOptions) {
    this.registry = options.registry;
    this.schemasFor = options.schemasFor ?? ((topic) => shippedSchemas(topic));
    this.version = options.debeziumVersion ?? '3.7.0.Final';
  }

  async encode(topic: string, event: EncodableEvent | ChangeEvent): Promise<{ key: Buffer; value: Buffer }> {
    const codec = await this.codec(topic);
    const key = this.encodeKey(topic, codec, event.key ?? pickKey(codec.keyPlan, event.op === 'd' ? event.before : event.after));
    const tsMs = ('tsMs' in event && event.tsMs !== undefined ? event.tsMs : undefined) ?? event.source.tsMs;
    const envelope = {
      before: event.before === null ? null : codec.envelope.row.toAvro(event.before),
      after: event.after === null ? null : codec.envelope.row.toAvro(event.after),
      source: this.sourceToAvro(event.source),
      transaction: null,
      op: event.op,
      ts_ms: tsMs,
      ts_us: tsMs * 1000,
      ts_ns: BigInt(tsMs) * 1_000_000n,
    };
    return { key, value: frame(codec.valueId, toAvroBytes(codec.valueType, envelope, `an event of ${topic}`)) };
  }

  /** The Kafka tombstone Debezium sends after a delete: the key, a null value. */
  async tombstone(topic: string, key: Row): Promise<{ key: Buffer; value: null }> {
    return { key: this.encodeKey(topic, await this.codec(topic), key), value: null };
  }

  /** A `KafkaRecord` as a consumer would read it (a tombstone when `event` is a key only). */
  async record(
    topic: string,
    event: EncodableEvent | ChangeEvent | { tombstone: Row },
    at: { partition?: number; offset?: string | number; timestamp?: number; headers?: Headers } = {},
  ): Promise<KafkaRecord> {
    const encoded: EncodedRecord = 'tombstone' in event ? await this.tombstone(topic, event.tombstone) : await this.encode(topic, event);
    return {
      topic,
      partition: at.partition ?? 0,
      offset: String(at.offset ?? 0),
      timestamp: at.timestamp ?? ('source' in event ? event.source.tsMs : 0),
      key: encoded.key,
      value: encoded.value,
      headers: at.headers ?? {},
    };
  }

  private encodeKey(topic: string, codec: TopicCodec, key: Row): Buffer {
    try {
      return frame(codec.keyId, toAvroBytes(codec.keyType, codec.keyPlan.toAvro(key), 'the key'));
    } catch (err) {
      throw new TypeError(`cannot encode the key of a ${topic} event: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private sourceToAvro(s: SourceInfo): Record<string, unknown> {
    return {
      version: this.version,
      connector: s.connector,
      name: s.name,
      ts_ms: s.tsMs,
      snapshot: s.snapshot === false ? 'false' : s.snapshot === true ? 'true' : s.snapshot,
      db: s.db,
      sequence: null,
      ts_us: s.tsMs * 1000,
      ts_ns: BigInt(s.tsMs) * 1_000_000n,
      table: s.table,
      server_id: s.serverId,
      gtid: s.gtid,
      file: s.file,
      pos: s.pos,
      row: s.row,
      thread: s.thread,
      query: null,
    };
  }

  private codec(topic: string): Promise<TopicCodec> {
    let codec = this.topics.get(topic);
    if (!codec) {
      codec = this.register(topic);
      this.topics.set(topic, codec);
      codec.catch(() => this.topics.delete(topic));
    }
    return codec;
  }

  private async register(topic: string): Promise<TopicCodec> {
    const schemas = this.schemasFor(topic);
    const [keyId, valueId] = await Promise.all([
      this.registry.register(`${topic}-key`, schemas.key),
      this.registry.register(`${topic}-value`, schemas.value),
    ]);
    const key = new CompiledSchema(keyId, schemas.key);
    const value = new CompiledSchema(valueId, schemas.value);
    const keyPlan = key.key();
    const envelope = value.envelope();
    if (typeof keyPlan === 'string') throw new TypeError(`key schema of ${topic}: ${keyPlan}`);
    if (typeof envelope === 'string') throw new TypeError(`value schema of ${topic}: ${envelope}`);
    return { keyId, valueId, keyType: key.type!, valueType: value.type!, keyPlan, envelope };
  }
}

/** avsc's bytes, or a TypeError naming the fields whose values do not fit the schema. */
function toAvroBytes(type: Type, value: unknown, what: string): Buffer {
  try {
    return type.toBuffer(value);
  } catch (err) {
    const paths: string[] = [];
    type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
    const where = paths.length ? `field ${paths.join(', ')} does not match the schema` : err instanceof Error ? err.message : String(err);
    throw new TypeError(`cannot encode ${what}: ${where}`, { cause: err });
  }
}

function pickKey(plan: RowPlan, row: Row | null): Row {
  if (row === null) throw new TypeError(`no key given and no row image to take ${plan.recordName} from`);
  const key: Row = {};
  for (const field of plan.fields) key[field.name] = row[field.name];
  return key;
}
