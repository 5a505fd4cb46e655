// Avro `long` for Debezium: a number while exact, a bigint beyond 2^53 (Debezium 3's `ts_ns` and
// NanoTimestamp values always are). avsc's own long refuses such values, and its public
// `LongType.__with` allocates a Buffer per value, so the read path is replaced (avsc 5.7.9 is pinned).
import { Type, types } from 'avsc';

interface Tap {
  buf: Buffer;
  pos: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function exact(n: bigint): number | bigint {
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n;
}

const TWO_49 = 2 ** 49;

/** Reads one zig-zag varint long at `tap.pos`; exact for the whole int64 range. */
function readLong(tap: Tap): number | bigint {
  const buf = tap.buf;
  let pos = tap.pos;
  let b = buf[pos++];
  let n = b & 0x7f;
  let mul = 128;
  // Up to 7 bytes hold 49 bits: float arithmetic stays exact.
  while (b & 0x80 && mul <= 2 ** 42) {
    b = buf[pos++];
    n += (b & 0x7f) * mul;
    mul *= 128;
  }
  if (b & 0x80 && buf[pos] < 16) {
    // An 8th and last byte of at most 4 bits: 53 bits, still exact in a double. Microsecond
    // timestamps of today (Debezium's DATETIME(6) and TIMESTAMP(6)) are such, in every row.
    n += buf[pos++] * TWO_49;
    b = 0;
  }
  if (!(b & 0x80)) {
    tap.pos = pos;
    return n % 2 === 1 ? -(n + 1) / 2 : n / 2;
  }
  let u = BigInt(n);
  let shift = 49n;
  do {
    b = buf[pos++];
    u |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80 && shift < 70n);
  tap.pos = pos;
  return exact(u & 1n ? -((u + 1n) >> 1n) : u >> 1n);
}

function isLong(value: unknown): value is number | bigint {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'bigint' && value >= -(2n ** 63n) && value < 2n ** 63n;
}

function createLongType(): Type {
  const type = types.LongType.__with({
    fromBuffer: (buf: Buffer) => exact(buf.readBigInt64LE(0)),
    toBuffer: (value: number | bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt(value));
      return buf;
    },
    fromJSON: (value: unknown) => (typeof value === 'string' ? exact(BigInt(value)) : value),
    toJSON: (value: number | bigint) => (typeof value === 'bigint' ? value.toString() : value),
    isValid: isLong,
    compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
  // avsc freezes its types: derive an object that reads through `readLong` and inherits the rest.
  return Object.freeze(Object.create(type, { _read: { value: readLong } })) as Type;
}

/** The one long type every compiled Debezium schema shares. */
export const debeziumLong: Type = createLongType();

/** avsc `typeHook` that swaps every `long` (named or annotated) for `debeziumLong`. */
export function longTypeHook(schema: unknown): Type | undefined {
  if (schema === 'long') return debeziumLong;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long') {
    return debeziumLong;
  }
  return undefined;
}

/** Compiles an Avro schema for Debezium records: exact longs, unions unwrapped. */
export function compileAvro(schema: unknown): Type {
  return Type.forSchema(schema as Parameters<typeof Type.forSchema>[0], { typeHook: longTypeHook, wrapUnions: 'auto' });
}
