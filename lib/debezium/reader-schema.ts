// The envelope as Tandem reads it: only the fields a ChangeEvent carries. avsc resolves the
// writer's bytes into this reader schema and skips the rest (ts_us, ts_ns, transaction, query...)
// without building values for them, so decoding costs less than a full read of the writer schema.
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';
import { fieldsOf, isObjectSchema } from './schema-walk';

const ENVELOPE_FIELDS = new Set(['before', 'after', 'source', 'op']);
const SOURCE_FIELDS = new Set(['connector', 'name', 'db', 'table', 'server_id', 'gtid', 'file', 'pos', 'row', 'ts_ms', 'snapshot', 'thread']);

function keepFields(record: AvroSchemaObject, keep: Set<string>, map: (name: string, type: AvroSchemaJson) => AvroSchemaJson = (_n, t) => t): AvroSchemaObject {
  return { ...record, fields: fieldsOf(record).filter((f) => keep.has(f.name)).map((f) => ({ ...f, type: map(f.name, f.type) })) };
}

/** The pruned reader schema of a Debezium envelope (the writer schema if it is not shaped as expected). */
export function envelopeReaderSchema(writer: AvroSchemaJson): AvroSchemaJson {
  if (!isObjectSchema(writer)) return writer;
  return keepFields(writer, ENVELOPE_FIELDS, (name, type) =>
    name === 'source' && isObjectSchema(type) && type.type === 'record' ? keepFields(type, SOURCE_FIELDS) : type,
  );
}
