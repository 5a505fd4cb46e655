// Test helpers: Debezium records built from raw Avro values with avsc directly, so decoding is
// checked against bytes our encoder did not write.
import { Type } from 'avsc';
import { compileAvro, envelopeSchemas, type ColumnSchema, type DebeziumConnector } from '../../../lib/debezium';
import type { KafkaRecord } from '../../../lib/model';
import { InMemorySchemaRegistry, frame, type AvroSchemaJson } from '../../../lib/registry';

export function rawSource(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '3.7.0.Final', connector: 'mariadb', name: 'a', ts_ms: 1700000000000, snapshot: 'false', db: 'chat',
    sequence: null, ts_us: 1700000000000000, ts_ns: 1700000000000000000n, table: 'messages', server_id: 1,
    gtid: '0-1-42', file: 'mysql-bin.000003', pos: 588, row: 0, thread: 12, query: null, ...overrides,
  };
}

export class RawTopic {
  readonly keyId: number;
  readonly valueId: number;
  readonly keyType: Type;
  readonly valueType: Type;

  constructor(readonly registry: InMemorySchemaRegistry, readonly topic: string, key: AvroSchemaJson, value: AvroSchemaJson) {
    this.keyId = registry.registerSync(`${topic}-key`, key);
    this.valueId = registry.registerSync(`${topic}-value`, value);
    this.keyType = compileAvro(key);
    this.valueType = compileAvro(value);
  }

  static table(registry: InMemorySchemaRegistry, table: string, columns: ColumnSchema[], key: string[], connector: DebeziumConnector = 'mariadb'): RawTopic {
    const s = envelopeSchemas({ prefix: 'a', db: 'chat', table, connector, columns, key });
    return new RawTopic(registry, `a.chat.${table}`, s.key, s.value);
  }

  record(key: Record<string, unknown> | null, envelope: Record<string, unknown> | null, offset = 7): KafkaRecord {
    return {
      topic: this.topic, partition: 2, offset: String(offset), timestamp: 1700000000500,
      key: key === null ? null : frame(this.keyId, this.keyType.toBuffer(key)),
      value: envelope === null ? null : frame(this.valueId, this.valueType.toBuffer(envelope)),
      headers: {},
    };
  }

  change(op: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null, key: Record<string, unknown>, source: Record<string, unknown> = {}): KafkaRecord {
    return this.record(key, { before, after, source: rawSource(source), transaction: null, op, ts_ms: 1700000000400, ts_us: 1700000000400000, ts_ns: 1700000000400000000n });
  }
}
