// io.debezium.data.Bits (Avro `bytes`, parameter `length` = n): a BIT(n > 1) column. Debezium
// writes the bits little-endian (the lowest byte first) in exactly ceil(n/8) bytes: the binlog
// value becomes a java.util.BitSet whose toByteArray() is little-endian, padded to that size
// (JdbcValueConverters.convertBits/padLittleEndian; Debezium's docs say the same). MariaDB reads
// a byte string assigned to a BIT column as a big-endian number, so Tandem's value of a BIT
// column is what the column holds and what mysql2 reads back: the big-endian bytes, ceil(n/8)
// of them. Bound as they are, they store the same number.
import type { ColumnValue } from '../../model';
import type { AvroSchemaObject } from '../../registry';
import { wrongValue, type CodecFactory } from './codec';

/** The bit count from `connect.parameters.length`, or undefined when the schema omits it. */
function lengthOf(schema: AvroSchemaObject): number | undefined {
  const params = schema['connect.parameters'];
  const text = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).length : undefined;
  const n = typeof text === 'string' ? Number(text) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * `bytes` in the opposite byte order, resized to `size` by adding or dropping zero high bytes
 * (never a non-zero one). `highFirst`: `bytes` is big-endian.
 */
function reorder(bytes: Buffer, size: number, highFirst: boolean): Buffer {
  let len = bytes.length;
  if (highFirst) {
    let start = 0;
    while (len - start > size && bytes[start] === 0) start++;
    const out = Buffer.alloc(Math.max(size, len - start));
    for (let i = len - 1, j = 0; i >= start; i--, j++) out[j] = bytes[i];
    return out;
  }
  while (len > size && bytes[len - 1] === 0) len--;
  const out = Buffer.alloc(Math.max(size, len));
  for (let i = 0, j = out.length - 1; i < len; i++, j--) out[j] = bytes[i];
  return out;
}

export const bits: CodecFactory = (schema) => {
  const n = lengthOf(schema);
  const size = n === undefined ? 0 : Math.ceil(n / 8);
  return {
    // Debezium's little-endian bytes to the column's big-endian ones. Bits beyond n (never sent
    // by Debezium) are kept: the target then refuses the row with its own error.
    decode: (raw) => reorder(raw as Buffer, size || (raw as Buffer).length, false),
    encode: (value: ColumnValue) => {
      if (!Buffer.isBuffer(value)) throw wrongValue(`the big-endian bytes of a BIT(${n ?? 'n'}) value (a Buffer)`, value);
      const out = reorder(value, size || value.length, true);
      if (n !== undefined && (out.length > size || (n % 8 !== 0 && out[size - 1] >> (n % 8) !== 0))) {
        throw new RangeError(`0x${value.toString('hex')} has more than ${n} bits`);
      }
      return out;
    },
  };
};
