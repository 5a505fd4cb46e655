import type { AvroSchemaObject } from '../../registry';
import { bits } from './bits';
import type { ColumnCodec, CodecFactory } from './codec';
import { decimal, variableScaleDecimal } from './decimal';
import { json } from './json';
import * as time from './temporal';

export * from './codec';
export { unscaledFromBytes, unscaledToBytes, rescale } from './decimal';

const fixed = (codec: ColumnCodec): CodecFactory => () => codec;
const same: CodecFactory = () => ({});

/** Debezium / Kafka Connect semantic types, by `connect.name`. */
export const semanticTypes: Readonly<Record<string, CodecFactory>> = {
  'io.debezium.time.Date': fixed(time.date),
  'io.debezium.time.Time': fixed(time.timeMillis),
  'io.debezium.time.MicroTime': fixed(time.timeMicros),
  'io.debezium.time.NanoTime': fixed(time.timeNanos),
  'io.debezium.time.Timestamp': fixed(time.timestampMillis),
  'io.debezium.time.MicroTimestamp': fixed(time.timestampMicros),
  'io.debezium.time.NanoTimestamp': fixed(time.timestampNanos),
  'io.debezium.time.ZonedTimestamp': fixed(time.zonedTimestamp),
  'org.apache.kafka.connect.data.Decimal': decimal,
  'io.debezium.data.VariableScaleDecimal': fixed(variableScaleDecimal),
  'io.debezium.data.Json': fixed(json),
  // BIT(n > 1): Debezium's little-endian bytes become the column's big-endian ones (bits.ts).
  // BIT(1) is a plain Avro boolean.
  'io.debezium.data.Bits': bits,
  // Kept as Avro gives them: ENUM/SET text, YEAR int, TIME WITH ZONE text, UUID text.
  'io.debezium.data.Enum': same,
  'io.debezium.data.EnumSet': same,
  'io.debezium.time.Year': same,
  'io.debezium.time.ZonedTime': same,
  'io.debezium.data.Uuid': same,
};

/** Avro's own logical types, for schemas written without Connect annotations. */
export const avroLogicalTypes: Readonly<Record<string, CodecFactory>> = {
  decimal,
  date: fixed(time.date),
  'time-millis': fixed(time.timeMillis),
  'time-micros': fixed(time.timeMicros),
  'timestamp-millis': fixed(time.timestampMillis),
  'timestamp-micros': fixed(time.timestampMicros),
  'local-timestamp-millis': fixed(time.timestampMillis),
  'local-timestamp-micros': fixed(time.timestampMicros),
  uuid: same,
};

/** The codec for a field type, `connect.name` first (it is the more specific), else `logicalType`. */
export function codecFor(schema: AvroSchemaObject): ColumnCodec | undefined {
  const connectName = schema['connect.name'];
  if (typeof connectName === 'string' && semanticTypes[connectName]) return semanticTypes[connectName](schema);
  const logical = schema.logicalType;
  if (typeof logical === 'string' && avroLogicalTypes[logical]) return avroLogicalTypes[logical](schema);
  return undefined;
}
