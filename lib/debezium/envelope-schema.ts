// Debezium change-event schemas as Debezium 3.x's MySQL/MariaDB connectors register them through
// an Avro converter: `<prefix>.<db>.<table>.Envelope` with `Value` before/after, the connector's
// `Source` block, the `event.block` transaction block, and `<...>.Key`. For producing events in
// tests and the topology test driver; the decoder reads whatever the registry holds.
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';

export type DebeziumConnector = 'mariadb' | 'mysql';

export interface ColumnSchema {
  name: string;
  /** The Avro type Debezium gives the column (see `columnTypes`). */
  type: AvroSchemaJson;
  /** A NULL-able column: `["null", type]` with default null. */
  optional?: boolean;
  /** A NOT NULL column's DEFAULT, as Debezium carries it (`connect.default` and the field default). */
  default?: string | number | boolean;
}

export interface TableSchemaSpec {
  prefix: string;
  db: string;
  table: string;
  connector?: DebeziumConnector;
  columns: ColumnSchema[];
  /** Primary-key columns, in key order. */
  key: string[];
}

export interface EnvelopeSchemas {
  key: AvroSchemaObject;
  value: AvroSchemaObject;
}

const semantic = (type: string, name: string, parameters?: Record<string, string>): AvroSchemaObject => ({
  type,
  'connect.version': 1,
  ...(parameters ? { 'connect.parameters': parameters } : {}),
  'connect.name': name,
});

/** Column types as Debezium maps MySQL/MariaDB types (default time.precision.mode, decimal.handling.mode=precise). */
export const columnTypes = {
  bigint: (): AvroSchemaJson => 'long',
  int: (): AvroSchemaJson => 'int',
  /** INT UNSIGNED needs 64 bits. */
  intUnsigned: (): AvroSchemaJson => 'long',
  /** SMALLINT, and TINYINT signed or not (TINYINT(1) too, unless a boolean converter is configured). */
  smallint: (): AvroSchemaJson => ({ type: 'int', 'connect.type': 'int16' }),
  boolean: (): AvroSchemaJson => 'boolean',
  double: (): AvroSchemaJson => 'double',
  float: (): AvroSchemaJson => 'float',
  string: (): AvroSchemaJson => 'string',
  bytes: (): AvroSchemaJson => 'bytes',
  date: (): AvroSchemaJson => semantic('int', 'io.debezium.time.Date'),
  /** TIME(0-3) */
  timeMillis: (): AvroSchemaJson => semantic('int', 'io.debezium.time.Time'),
  /** TIME(4-6) */
  timeMicros: (): AvroSchemaJson => semantic('long', 'io.debezium.time.MicroTime'),
  /** DATETIME(0-3) */
  timestampMillis: (): AvroSchemaJson => semantic('long', 'io.debezium.time.Timestamp'),
  /** DATETIME(4-6) */
  timestampMicros: (): AvroSchemaJson => semantic('long', 'io.debezium.time.MicroTimestamp'),
  /** time.precision.mode=adaptive on databases with ns precision. */
  timestampNanos: (): AvroSchemaJson => semantic('long', 'io.debezium.time.NanoTimestamp'),
  /** TIMESTAMP */
  zonedTimestamp: (): AvroSchemaJson => semantic('string', 'io.debezium.time.ZonedTimestamp'),
  decimal: (precision: number, scale: number): AvroSchemaJson => ({
    type: 'bytes',
    scale,
    precision,
    'connect.version': 1,
    'connect.parameters': { scale: String(scale), 'connect.decimal.precision': String(precision) },
    'connect.name': 'org.apache.kafka.connect.data.Decimal',
    logicalType: 'decimal',
  }),
  /** JSON on MySQL. MariaDB's JSON is LONGTEXT underneath and arrives as a plain `string`. */
  json: (): AvroSchemaJson => semantic('string', 'io.debezium.data.Json'),
  enumOf: (allowed: string[]): AvroSchemaJson => semantic('string', 'io.debezium.data.Enum', { allowed: allowed.join(',') }),
  /** SET: the members a value holds, comma-separated in the column's order ('' for none). */
  setOf: (allowed: string[]): AvroSchemaJson => semantic('string', 'io.debezium.data.EnumSet', { allowed: allowed.join(',') }),
  year: (): AvroSchemaJson => semantic('int', 'io.debezium.time.Year'),
  /** BIT(1) is a plain `boolean`; BIT(n > 1) is this, little-endian bytes (types/bits.ts). */
  bits: (length: number): AvroSchemaJson => semantic('bytes', 'io.debezium.data.Bits', { length: String(length) }),
};

function field(name: string, type: AvroSchemaJson, optional = false): AvroSchemaObject {
  return optional ? { name, type: ['null', type], default: null } : { name, type };
}

function columnField(column: ColumnSchema): AvroSchemaObject {
  if (column.default === undefined || column.optional) return field(column.name, column.type, column.optional);
  const base: AvroSchemaObject = typeof column.type === 'string' ? { type: column.type } : (column.type as AvroSchemaObject);
  // Same attribute order as Connect's AvroData writes: the default before connect.name / connect.type.
  const type: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    if (k === 'connect.name' || k === 'connect.type') type['connect.default'] = column.default;
    type[k] = v;
  }
  type['connect.default'] = column.default;
  return { name: column.name, type: type as AvroSchemaObject, default: column.default };
}

/** The `source` record of Debezium 3.x's MySQL / MariaDB connectors. */
export function sourceSchema(connector: DebeziumConnector): AvroSchemaObject {
  const namespace = `io.debezium.connector.${connector}`;
  return {
    type: 'record',
    name: 'Source',
    namespace,
    fields: [
      field('version', 'string'),
      field('connector', 'string'),
      field('name', 'string'),
      field('ts_ms', 'long'),
      {
        name: 'snapshot',
        type: [
          {
            type: 'string',
            'connect.version': 1,
            'connect.parameters': { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' },
            'connect.default': 'false',
            'connect.name': 'io.debezium.data.Enum',
          },
          'null',
        ],
        default: 'false',
      },
      field('db', 'string'),
      field('sequence', 'string', true),
      field('ts_us', 'long', true),
      field('ts_ns', 'long', true),
      field('table', 'string', true),
      field('server_id', 'long'),
      field('gtid', 'string', true),
      field('file', 'string'),
      field('pos', 'long'),
      field('row', 'int'),
      field('thread', 'long', true),
      field('query', 'string', true),
    ],
    'connect.version': 1,
    'connect.name': `${namespace}.Source`,
  };
}

const transactionBlock: AvroSchemaObject = {
  type: 'record',
  name: 'block',
  namespace: 'event',
  fields: [field('id', 'string'), field('total_order', 'long'), field('data_collection_order', 'long')],
  'connect.version': 1,
  'connect.name': 'event.block',
};

/** Key and value schemas of one table's topic, `<prefix>.<db>.<table>`. */
export function envelopeSchemas(spec: TableSchemaSpec): EnvelopeSchemas {
  const namespace = `${spec.prefix}.${spec.db}.${spec.table}`;
  const byName = new Map(spec.columns.map((c) => [c.name, c]));
  const keyFields = spec.key.map((name) => {
    const column = byName.get(name);
    if (!column) throw new RangeError(`key column ${name} is not a column of ${namespace}`);
    return field(name, column.type);
  });
  const value: AvroSchemaObject = {
    type: 'record',
    name: 'Value',
    fields: spec.columns.map(columnField),
    'connect.name': `${namespace}.Value`,
  };
  return {
    key: { type: 'record', name: 'Key', namespace, fields: keyFields, 'connect.name': `${namespace}.Key` },
    value: {
      type: 'record',
      name: 'Envelope',
      namespace,
      fields: [
        { name: 'before', type: ['null', value], default: null },
        { name: 'after', type: ['null', 'Value'], default: null },
        field('source', sourceSchema(spec.connector ?? 'mariadb')),
        { name: 'transaction', type: ['null', transactionBlock], default: null },
        field('op', 'string'),
        field('ts_ms', 'long', true),
        field('ts_us', 'long', true),
        field('ts_ns', 'long', true),
      ],
      'connect.version': 2,
      'connect.name': `${namespace}.Envelope`,
    },
  };
}
