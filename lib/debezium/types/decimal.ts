// org.apache.kafka.connect.data.Decimal (Avro `bytes` + `decimal`): two's-complement big-endian
// unscaled value, scale fixed by the schema. io.debezium.data.VariableScaleDecimal: a record
// {scale, value} with the scale per value. Never through a float.
import { Decimal, type ColumnValue } from '../../model';
import type { AvroSchemaObject } from '../../registry';
import { wrongValue, type ColumnCodec, type CodecFactory } from './codec';

// Hot path: tsx/esbuild turn imported names into getter calls on every use, so the classes
// used per value are read once into module constants.
const DecimalValue = Decimal;

export function unscaledFromBytes(buf: Buffer): bigint {
  const len = buf.length;
  if (len === 0) return 0n;
  if (len <= 6) return BigInt(buf.readIntBE(0, len));
  const unsigned = BigInt('0x' + buf.toString('hex'));
  return buf[0] & 0x80 ? unsigned - (1n << BigInt(len * 8)) : unsigned;
}

/** The shortest two's-complement big-endian bytes of `n` (what Java's BigInteger.toByteArray gives). */
export function unscaledToBytes(n: bigint): Buffer {
  let len = 1;
  while (n >= 1n << BigInt(len * 8 - 1) || n < -(1n << BigInt(len * 8 - 1))) len++;
  const u = n < 0n ? (1n << BigInt(len * 8)) + n : n;
  return Buffer.from(u.toString(16).padStart(len * 2, '0'), 'hex');
}

function decimalOf(value: ColumnValue): Decimal {
  if (value instanceof Decimal) return value;
  if (typeof value === 'string') return Decimal.parse(value);
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) return new Decimal(BigInt(value), 0);
  throw wrongValue('a Decimal (or its exact text)', value);
}

/** `value` with exactly `scale` fraction digits; refuses to drop non-zero digits. */
export function rescale(value: Decimal, scale: number): bigint {
  if (value.scale === scale) return value.unscaled;
  if (value.scale < scale) return value.unscaled * 10n ** BigInt(scale - value.scale);
  const factor = 10n ** BigInt(value.scale - scale);
  if (value.unscaled % factor !== 0n) throw new RangeError(`${value} has more than ${scale} fraction digits: it would be rounded`);
  return value.unscaled / factor;
}

function scaleOf(schema: AvroSchemaObject): number {
  if (typeof schema.scale === 'number') return schema.scale;
  const params = schema['connect.parameters'];
  const text = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).scale : undefined;
  return typeof text === 'string' ? Number(text) : 0;
}

export const decimal: CodecFactory = (schema) => {
  const scale = scaleOf(schema);
  return {
    decode: (raw) => new DecimalValue(unscaledFromBytes(raw as Buffer), scale),
    encode: (value) => unscaledToBytes(rescale(decimalOf(value), scale)),
  };
};

export const variableScaleDecimal: ColumnCodec = {
  decode: (raw) => {
    const r = raw as { scale: number; value: Buffer };
    return new DecimalValue(unscaledFromBytes(r.value), r.scale);
  },
  encode: (value) => {
    const d = decimalOf(value);
    return { scale: d.scale, value: unscaledToBytes(d.unscaled) };
  },
};
