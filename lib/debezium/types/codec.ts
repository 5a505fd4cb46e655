import type { ColumnValue } from '../../model';
import type { AvroSchemaObject } from '../../registry';

/**
 * How one Debezium semantic type maps between what avsc reads/writes and Tandem's column value.
 * Chosen once per schema field, never per value. A missing function means "same value".
 */
export interface ColumnCodec {
  /** The Avro value (never null) to a column value. */
  decode?: (raw: unknown) => ColumnValue;
  /** A column value (never null) to what avsc writes; throws TypeError on a value of the wrong kind. */
  encode?: (value: ColumnValue) => unknown;
}

/** Builds the codec for one field type; reads parameters (scale...) from the type's schema. */
export type CodecFactory = (schema: AvroSchemaObject) => ColumnCodec;

export function wrongValue(expected: string, value: ColumnValue): TypeError {
  const shown = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
  return new TypeError(`expected ${expected}, got ${typeof value} ${shown}`);
}

/** A long as avsc writes it: a number while exact, else a bigint. */
export function longOut(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Floor division, so instants before the epoch keep a non-negative sub-unit rest. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
