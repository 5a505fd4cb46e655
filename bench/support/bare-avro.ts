// avsc as a consumer on its own would use it for Debezium's records: every long read as a JS
// number, without avsc's precision check (the envelope's ts_ns is beyond 2^53 and would throw).
// The benches' ceiling for decoding (bench/decode.ts) and the floor's decoder (bench/floor.ts).
import { Type, types, type Schema } from 'avsc';

/** avsc with its own varint read minus the precision check: the cheapest possible long. */
function bareLong(): Type {
  const base = types.LongType.__with({
    fromBuffer: (b: Buffer) => Number(b.readBigInt64LE(0)),
    toBuffer: () => Buffer.alloc(8),
    fromJSON: Number,
    toJSON: (v: number) => v,
    isValid: (v: unknown) => typeof v === 'number',
    compare: () => 0,
  });
  return Object.create(base, { _read: { value: (tap: { readLong(): number }) => tap.readLong() } }) as Type;
}

const isLong = (s: unknown) => s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long');

/** The schema's avsc type, its longs read as plain numbers. */
export function bareAvroType(schema: unknown): Type {
  return Type.forSchema(schema as Schema, { typeHook: (s) => (isLong(s) ? bareLong() : undefined) });
}
