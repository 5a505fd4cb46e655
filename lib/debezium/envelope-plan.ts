// What a Debezium change-event envelope must look like for Tandem, checked once per schema.
import type { SourceInfo } from '../model';
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';
import { compileRowPlan, type RowPlan } from './row-plan';
import { NamedTypes, fieldsOf, isObjectSchema, unwrapNullable } from './schema-walk';

/** Fields the MySQL and MariaDB connectors' `source` block must carry for Tandem to order and filter. */
const REQUIRED_SOURCE_FIELDS = ['connector', 'name', 'db', 'ts_ms', 'server_id', 'file', 'pos'];

export interface EnvelopePlan {
  /** Full name of the envelope record (`a.chat.messages.Envelope`). */
  envelopeName: string;
  /** Full name of the source record (`io.debezium.connector.mariadb.Source`). */
  sourceName: string;
  row: RowPlan;
}

export interface RawSource {
  connector: string;
  name: string;
  db: string;
  table?: string | null;
  server_id: number | bigint;
  gtid?: string | null;
  file: string;
  pos: number | bigint;
  row?: number | null;
  ts_ms: number | bigint;
  snapshot?: string | null;
  thread?: number | bigint | null;
}

export function snapshotOf(raw: string | null | undefined): boolean | string {
  if (raw === 'false' || raw === null || raw === undefined) return false;
  return raw === 'true' ? true : raw;
}

export function toSourceInfo(s: RawSource): SourceInfo {
  return {
    connector: s.connector,
    name: s.name,
    db: s.db,
    table: s.table ?? '',
    serverId: Number(s.server_id),
    gtid: s.gtid ?? null,
    file: s.file,
    pos: Number(s.pos),
    row: s.row ?? 0,
    tsMs: Number(s.ts_ms),
    snapshot: snapshotOf(s.snapshot),
    thread: s.thread === null || s.thread === undefined ? null : Number(s.thread),
  };
}

function qualified(schema: AvroSchemaObject, namespace: string): string {
  const name = String(schema.name);
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** The envelope plan, or a sentence saying why this schema is not a Debezium MySQL/MariaDB envelope. */
export function compileEnvelopePlan(root: AvroSchemaJson): EnvelopePlan | string {
  if (!isObjectSchema(root) || root.type !== 'record') return 'the value schema is not an Avro record';
  const names = new NamedTypes(root);
  const rootNs = names.resolve(root, '').namespace;
  const fields = new Map(fieldsOf(root).map((f) => [f.name, f]));
  const missing = ['op', 'source'].filter((f) => !fields.has(f));
  if (missing.length || (!fields.has('before') && !fields.has('after'))) {
    return `the value schema ${qualified(root, rootNs)} has no ${[...missing, 'before/after'].join(', ')} field: not a Debezium change-event envelope`;
  }
  const image = unwrapNullable((fields.get('after') ?? fields.get('before'))!.type).type;
  const row = names.resolve(image, rootNs);
  if (!isObjectSchema(row.schema) || row.schema.type !== 'record') return 'the envelope\'s before/after field is not a record';
  const source = names.resolve(unwrapNullable(fields.get('source')!.type).type, rootNs);
  if (!isObjectSchema(source.schema) || source.schema.type !== 'record') return 'the envelope\'s source field is not a record';
  const sourceFields = new Set(fieldsOf(source.schema).map((f) => f.name));
  const lacking = REQUIRED_SOURCE_FIELDS.filter((f) => !sourceFields.has(f));
  if (lacking.length) {
    return `the source block ${qualified(source.schema, source.namespace)} lacks ${lacking.join(', ')}: only Debezium's MySQL and MariaDB connectors are supported`;
  }
  try {
    return {
      envelopeName: qualified(root, rootNs),
      sourceName: qualified(source.schema, source.namespace),
      row: compileRowPlan(row, names),
    };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The plan of a record key (a Debezium `Key` record), or why it cannot be one. */
export function compileKeyPlan(root: AvroSchemaJson): RowPlan | string {
  if (!isObjectSchema(root) || root.type !== 'record') return 'the key schema is not an Avro record (Debezium keys are records of the primary-key columns)';
  const names = new NamedTypes(root);
  try {
    return compileRowPlan(names.resolve(root, ''), names);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
