// The envelope as Tandem reads it: only the fields a ChangeEvent carries. avsc resolves the
// writer's bytes into this reader schema and skips the rest (ts_us, ts_ns, transaction, query...)
// without building values for them, so decoding costs less than a full read of the writer schema.
// The same pruning gives the two smaller readers of an echo (see CompiledSchema.serverIdReader).
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';
import { fieldsOf, isObjectSchema } from './schema-walk';

const ENVELOPE_FIELDS = new Set(['before', 'after', 'source', 'op']);
const HEAD_FIELDS = new Set(['source', 'op']);
const SOURCE_FIELDS = new Set(['connector', 'name', 'db', 'table', 'server_id', 'gtid', 'file', 'pos', 'row', 'ts_ms', 'snapshot', 'thread']);
const SERVER_ID = new Set(['server_id']);

function keepFields(record: AvroSchemaObject, keep: Set<string>, map: (name: string, type: AvroSchemaJson) => AvroSchemaJson = (_n, t) => t): AvroSchemaObject {
  return { ...record, fields: fieldsOf(record).filter((f) => keep.has(f.name)).map((f) => ({ ...f, type: map(f.name, f.type) })) };
}

function pruned(writer: AvroSchemaJson, envelope: Set<string>, source: Set<string>): AvroSchemaJson {
  if (!isObjectSchema(writer)) return writer;
  return keepFields(writer, envelope, (name, type) =>
    name === 'source' && isObjectSchema(type) && type.type === 'record' ? keepFields(type, source) : type,
  );
}

/** The pruned reader schema of a Debezium envelope (the writer schema if it is not shaped as expected). */
export const envelopeReaderSchema = (writer: AvroSchemaJson) => pruned(writer, ENVELOPE_FIELDS, SOURCE_FIELDS);

/** The envelope without its rows: `op` and the source block (what a dropped echo needs). */
export const headReaderSchema = (writer: AvroSchemaJson) => pruned(writer, HEAD_FIELDS, SOURCE_FIELDS);

/** Only `source.server_id`: everything else is skipped, nothing is built but that number. */
export const serverIdReaderSchema = (writer: AvroSchemaJson) => pruned(writer, new Set(['source']), SERVER_ID);
