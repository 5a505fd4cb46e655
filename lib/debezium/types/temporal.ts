// io.debezium.time.* and the Avro date/time logical types. All exact: no JS Date on the way.
import { LocalDate, LocalDateTime, LocalTime, ZonedDateTime, type ColumnValue } from '../../model';
import { floorDiv, longOut, wrongValue, type ColumnCodec } from './codec';

// Hot path: tsx/esbuild turn imported names into getter calls on every use, so the classes
// used per value are read once into module constants.
const DateValue = LocalDate;
const DateTimeValue = LocalDateTime;
const TimeValue = LocalTime;
const ZonedValue = ZonedDateTime;

function localDateTime(value: ColumnValue): LocalDateTime {
  if (value instanceof LocalDateTime) return value;
  if (value instanceof ZonedDateTime) return value.toUtc();
  if (typeof value === 'string') return LocalDateTime.parse(value);
  throw wrongValue('a LocalDateTime', value);
}

function localTime(value: ColumnValue): LocalTime {
  if (value instanceof LocalTime) return value;
  throw wrongValue('a LocalTime', value);
}

/** io.debezium.time.Date / Avro `date`: int days since the epoch. */
export const date: ColumnCodec = {
  decode: (raw) => new DateValue(raw as number),
  encode: (value) => {
    if (value instanceof LocalDate) return value.epochDay;
    throw wrongValue('a LocalDate', value);
  },
};

/** io.debezium.time.Time / Avro `time-millis`: int milliseconds past midnight. */
export const timeMillis: ColumnCodec = {
  decode: (raw) => new TimeValue(BigInt(raw as number) * 1000n, 3),
  encode: (value) => Number(floorDiv(localTime(value).micros, 1000n)),
};

/** io.debezium.time.MicroTime / Avro `time-micros`: long microseconds past midnight. */
export const timeMicros: ColumnCodec = {
  decode: (raw) => new TimeValue(BigInt(raw as number | bigint), 6),
  encode: (value) => longOut(localTime(value).micros),
};

/** io.debezium.time.NanoTime: long nanoseconds past midnight (kept to microseconds). */
export const timeNanos: ColumnCodec = {
  decode: (raw) => new TimeValue(floorDiv(BigInt(raw as number | bigint), 1000n), 6),
  encode: (value) => longOut(localTime(value).micros * 1000n),
};

/** io.debezium.time.Timestamp / Avro `timestamp-millis`: DATETIME(0-3), long ms since the epoch. */
export const timestampMillis: ColumnCodec = {
  decode: (raw) => new DateTimeValue(BigInt(raw as number | bigint) * 1000n, 3),
  encode: (value) => longOut(floorDiv(localDateTime(value).epochMicros, 1000n)),
};

/** io.debezium.time.MicroTimestamp / Avro `timestamp-micros`: DATETIME(4-6), long µs since the epoch. */
export const timestampMicros: ColumnCodec = {
  decode: (raw) => new DateTimeValue(BigInt(raw as number | bigint), 6),
  encode: (value) => longOut(localDateTime(value).epochMicros),
};

/** io.debezium.time.NanoTimestamp: long ns since the epoch; the sub-µs rest stays in `nanos`. */
export const timestampNanos: ColumnCodec = {
  decode: (raw) => {
    const ns = BigInt(raw as number | bigint);
    const micros = floorDiv(ns, 1000n);
    return new DateTimeValue(micros, 6, Number(ns - micros * 1000n));
  },
  encode: (value) => {
    const v = localDateTime(value);
    return longOut(v.epochMicros * 1000n + BigInt(v.nanos));
  },
};

/** io.debezium.time.ZonedTimestamp: TIMESTAMP as ISO-8601 text in UTC. */
export const zonedTimestamp: ColumnCodec = {
  decode: (raw) => new ZonedValue(raw as string),
  encode: (value) => {
    if (value instanceof ZonedDateTime) return value.iso;
    if (typeof value === 'string') return new ZonedDateTime(value).iso;
    throw wrongValue('a ZonedDateTime', value);
  },
};
