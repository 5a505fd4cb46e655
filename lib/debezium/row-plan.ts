// The per-schema conversion of row images: decided once per field when a schema is first seen,
// then run as one generated function per record type, with no per-value type inspection.
import { Json, type ColumnSchema, type ColumnValue, type Row } from '../model';
import type { AvroSchemaObject } from '../registry';
import { NamedTypes, fieldsOf, isObjectSchema, typeNameOf, unwrapNullable, type Located } from './schema-walk';
import { codecFor, type ColumnCodec } from './types';

export interface FieldPlan {
  name: string;
  nullable: boolean;
  /** Whether the schema gives a default (then a row may leave the column out when encoding). */
  hasDefault: boolean;
  /** How values change between Avro and Tandem; absent: they don't. */
  codec?: ColumnCodec;
}

export interface RowPlan {
  /** Full name of the record type (`a.chat.messages.Value`). */
  recordName: string;
  fields: FieldPlan[];
  /** avsc's decoded record to a row. */
  toRow: (raw: unknown) => Row;
  /** A row to what avsc writes. Throws TypeError naming the column on a bad value. */
  toAvro: (row: Row) => Record<string, unknown>;
  /** What each column's schema says (type, default, connect.parameters), for schema evolution. */
  columns: ColumnSchema[];
}

/** Plain text columns: MariaDB's JSON arrives so, so a `Json` value is written as its text. */
const TEXT: ColumnCodec = { encode: (value) => (value instanceof Json ? value.text : value) };

const PLAIN = new Set(['boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', 'enum', 'fixed']);

function codecOfType(located: Located, names: NamedTypes, where: string): ColumnCodec | undefined {
  const { schema, namespace } = names.resolve(located.schema, located.namespace);
  if (schema === 'string' || (isObjectSchema(schema) && schema.type === 'string' && !schema['connect.name'])) return TEXT;
  if (!isObjectSchema(schema)) {
    if (typeof schema === 'string' && PLAIN.has(schema)) return undefined;
    throw new Error(`${where} has unsupported Avro type ${JSON.stringify(schema)}`);
  }
  const semantic = codecFor(schema);
  if (semantic) return semantic;
  const typeName = typeNameOf(schema);
  if (PLAIN.has(typeName)) return undefined;
  if (typeName === 'array') {
    const items = codecOfType({ schema: schema.items as AvroSchemaObject, namespace }, names, `${where} (items)`);
    const decode = items?.decode;
    const encode = items?.encode;
    return {
      decode: decode && ((raw) => (raw as unknown[]).map((v) => (v === null ? null : decode(v)))),
      encode: encode && ((value) => (value as unknown[]).map((v) => (v === null ? null : encode(v as never)))),
    };
  }
  throw new Error(`${where} has unsupported Avro type ${JSON.stringify(schema)} (no Debezium semantic type Tandem knows)`);
}

function generateToRow(fields: FieldPlan[]): (raw: unknown) => Row {
  const decoders: ((raw: unknown) => unknown)[] = [];
  const lines: string[] = [];
  const props: string[] = [];
  fields.forEach((field, i) => {
    const key = JSON.stringify(field.name);
    if (!field.codec?.decode) {
      props.push(`${key}: r[${key}]`);
      return;
    }
    decoders.push(field.codec.decode);
    const d = `d[${decoders.length - 1}]`;
    if (field.nullable) {
      lines.push(`var v${i} = r[${key}];`);
      props.push(`${key}: v${i} === null ? null : ${d}(v${i})`);
    } else {
      props.push(`${key}: ${d}(r[${key}])`);
    }
  });
  // One object literal of fixed shape per record type: V8 keeps every row on one hidden class.
  const body = `return function toRow(r) {\n${lines.join('\n')}\nreturn { ${props.join(', ')} };\n};`;
  const factory = new Function('d', body) as (d: unknown[]) => (raw: unknown) => Row;
  return factory(decoders);
}

function makeToAvro(recordName: string, fields: FieldPlan[]): (row: Row) => Record<string, unknown> {
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      const value = row[field.name];
      if (value === undefined || value === null) {
        if (!field.nullable && value === null) throw new TypeError(`${recordName}.${field.name} is NOT NULL but the row has null`);
        if (!field.nullable && !field.hasDefault) throw new TypeError(`${recordName}.${field.name} is NOT NULL and has no default, but the row lacks it`);
        // Left undefined, avsc writes the schema's default.
        out[field.name] = field.nullable ? null : undefined;
        continue;
      }
      try {
        out[field.name] = field.codec?.encode ? field.codec.encode(value) : value;
      } catch (err) {
        throw new TypeError(`${recordName}.${field.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    return out;
  };
}

function stringParameters(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The schema's default as a column value; undefined when there is none or it cannot be read. */
function defaultOf(field: { default?: unknown }, typeName: string, codec: ColumnCodec | undefined): ColumnValue | undefined {
  const raw = field.default;
  if (raw === undefined || raw === null) return raw === null ? null : undefined;
  try {
    // Avro's JSON form of a bytes default is a string of code points 0-255.
    const avro = (typeName === 'bytes' || typeName === 'fixed') && typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    return (codec?.decode ? codec.decode(avro) : avro) as ColumnValue;
  } catch {
    return undefined;
  }
}

function columnSchemaOf(field: { name: string; default?: unknown }, type: Located, names: NamedTypes, nullable: boolean, codec: ColumnCodec | undefined): ColumnSchema {
  const { schema } = names.resolve(type.schema, type.namespace);
  const typeName = typeNameOf(schema);
  const semantic = isObjectSchema(schema) && typeof schema['connect.name'] === 'string' ? schema['connect.name'] : undefined;
  const parameters = isObjectSchema(schema) ? stringParameters(schema['connect.parameters']) : {};
  return { name: field.name, type: typeName, semantic, optional: nullable, default: defaultOf(field, typeName, codec), parameters };
}

/** Compiles the plan of a record type (a Debezium `Value` or `Key`). */
export function compileRowPlan(record: Located, names: NamedTypes): RowPlan {
  const schema = record.schema as AvroSchemaObject;
  const name = String(schema.name);
  const recordName = name.includes('.') || !record.namespace ? name : `${record.namespace}.${name}`;
  const columns: ColumnSchema[] = [];
  const fields = fieldsOf(schema).map((field): FieldPlan => {
    const { nullable, type } = unwrapNullable(field.type);
    const codec = codecOfType({ schema: type, namespace: record.namespace }, names, `column ${recordName}.${field.name}`);
    columns.push(columnSchemaOf(field, { schema: type, namespace: record.namespace }, names, nullable, codec));
    return { name: field.name, nullable, hasDefault: field.default !== undefined, codec };
  });
  return { recordName, fields, toRow: generateToRow(fields), toAvro: makeToAvro(recordName, fields), columns };
}
