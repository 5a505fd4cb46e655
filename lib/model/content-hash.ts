// The tie-break of last-writer-wins between two rows at one `updated_at` (docs/loop-prevention.md
// §2): `MD5(JSON_ARRAY(data columns in table order))`, which MariaDB computes in the sink's guard
// (lib/sink/dialect.ts). The in-memory database and the lastWriterWins stage decide outside
// MariaDB, so they compute the same digest here over the same bytes: JSON_ARRAY's text as MariaDB
// renders each column type, then MD5 of its UTF-8. test/db/sink/content-hash.test.ts checks it
// against MariaDB for every kind of column.
import { createHash } from 'node:crypto';
import type { ColumnSchema } from './change-event';
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, type ColumnValue } from './values';

/**
 * Column types (information_schema DATA_TYPE) that enter the hash as their own `MD5(col)`:
 * JSON_ARRAY cannot hold raw bytes, and a function result larger than max_allowed_packet (HEX()
 * of a blob, JSON_ARRAY() of a long text full of quotes) is an error on every re-applied flush.
 */
const WHOLE = /^(var)?binary$|^bit$|^(tiny|medium|long)?(text|blob)$|^json$/;

/** Whether a column of this DATA_TYPE enters the tie-break as `MD5(col)` rather than as its value. */
export function hashedWhole(dataType: string): boolean {
  return WHOLE.test(dataType.toLowerCase());
}

const DECIMAL = /^(decimal|numeric)$/;

/** What the digest needs of a column's SQL type: how MariaDB renders its values. */
export interface ColumnType {
  /** DATA_TYPE, lower case: `varchar`, `text`, `datetime`, `decimal`, `float`. */
  dataType: string;
  /** Fractional digits of DATETIME/TIMESTAMP/TIME, scale of DECIMAL. */
  scale?: number;
  /** BINARY(n): the length its values are padded to with 0x00. */
  length?: number;
}

/** A column type as DDL or COLUMN_TYPE writes it (`DATETIME(3)`, `decimal(12,4)`, `bigint(20) unsigned`). */
export function parseColumnType(text: string): ColumnType {
  const m = /^\s*([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?/i.exec(text);
  if (!m) throw new RangeError(`not a column type: ${JSON.stringify(text)}`);
  const dataType = m[1].toLowerCase();
  if (DECIMAL.test(dataType)) return { dataType, scale: Number(m[3] ?? 0) };
  if (dataType === 'binary') return { dataType, length: Number(m[2] ?? 1) };
  if (dataType === 'datetime' || dataType === 'timestamp' || dataType === 'time') return { dataType, scale: Number(m[2] ?? 0) };
  return { dataType };
}

const SOURCE_TYPE = '__debezium.source.column.type';

/**
 * What a record's schema tells of a column's SQL type: exact with Debezium's
 * `column.propagate.source.type` (its length is a temporal column's fractional digits); else
 * only what the Avro type shows (bytes, JSON, FLOAT): a TEXT column then looks like a VARCHAR.
 */
export function columnTypeOfSchema(column: ColumnSchema): ColumnType | undefined {
  const source = column.parameters[SOURCE_TYPE];
  if (source) {
    const type = parseColumnType(source);
    const digits = column.parameters['__debezium.source.column.length'];
    const scale = column.parameters['__debezium.source.column.scale'];
    if (DECIMAL.test(type.dataType)) return scale === undefined ? { dataType: type.dataType } : { dataType: type.dataType, scale: Number(scale) };
    if (type.dataType === 'binary') return digits === undefined ? type : { dataType: 'binary', length: Number(digits) };
    if (type.scale === undefined) return type;
    // Debezium gives no length for a temporal column without fractional digits; a length that
    // cannot be fractional digits is not trusted, and the value's own digits are used.
    const fsp = Number(digits ?? 0);
    return Number.isInteger(fsp) && fsp >= 0 && fsp <= 6 ? { dataType: type.dataType, scale: fsp } : { dataType: type.dataType };
  }
  if (column.semantic === 'io.debezium.data.Json') return { dataType: 'json' };
  if (column.type === 'float' || column.type === 'double') return { dataType: column.type };
  if (column.type === 'bytes' && !/Decimal$/.test(column.semantic ?? '')) return { dataType: 'varbinary' };
  return undefined;
}

/** One data column of a row: its value, and its SQL type when known (else taken from the value). */
export interface HashedColumn {
  value: ColumnValue;
  type?: ColumnType;
}

/**
 * The tie-break digest of a row: lower-case hex MD5 of `JSON_ARRAY(...)` over its data columns
 * (neither key nor version) in table order, or `''` when it has none (what the guard compares then).
 * Two digests compare as strings: lower-case hex orders alike in JS and under MariaDB's collations.
 */
export function contentHash(columns: readonly HashedColumn[]): string {
  if (columns.length === 0) return '';
  return md5(Buffer.from(`[${columns.map((c) => element(c.value, c.type)).join(', ')}]`, 'utf8'));
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** One element of JSON_ARRAY as MariaDB writes it for a column of `type` holding `value`. */
function element(value: ColumnValue, type: ColumnType | undefined): string {
  if (value === null) return 'null'; // MD5(NULL) is NULL too
  const whole = type ? hashedWhole(type.dataType) : Buffer.isBuffer(value) || value instanceof Json;
  if (whole) return quote(md5(bytesOf(value, type)));
  if (value instanceof LocalDateTime || value instanceof ZonedDateTime) {
    const local = value instanceof ZonedDateTime ? value.toUtc() : value;
    // A column of fewer digits holds the value truncated (MariaDB truncates, it does not round).
    return quote(new LocalDateTime(local.epochMicros, type?.scale ?? local.fractionDigits).toString());
  }
  if (value instanceof LocalTime) return quote(new LocalTime(value.micros, type?.scale ?? value.fractionDigits).toString());
  if (value instanceof LocalDate) return quote(value.toString());
  if (value instanceof Decimal) return (type?.scale === undefined ? value : rescaled(value, type.scale)).toString();
  // A DECIMAL column given a plain number or text (a hand-written row): as the column holds it.
  if (type?.scale !== undefined && DECIMAL.test(type.dataType) && (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string')) {
    return rescaled(Decimal.parse(String(value)), type.scale).toString();
  }
  if (value instanceof Json) return quote(value.text);
  if (typeof value === 'boolean') return value ? '1' : '0'; // TINYINT(1)
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return numberText(value, type?.dataType);
  // CHAR drops trailing spaces when read (no PAD_CHAR_TO_FULL_LENGTH), the incoming value too.
  if (typeof value === 'string') return quote(type?.dataType === 'char' ? value.replace(/ +$/, '') : value);
  if (Array.isArray(value)) return `[${value.map((v) => element(v, undefined)).join(', ')}]`; // never written (the sink refuses arrays)
  return quote(String(value));
}

/** The bytes `MD5(col)` reads: the column's own (text as utf8mb4, BINARY(n) padded, BIT(1) as one byte). */
function bytesOf(value: ColumnValue, type: ColumnType | undefined): Buffer {
  if (Buffer.isBuffer(value)) {
    const length = type?.length ?? 0;
    return value.length < length ? Buffer.concat([value, Buffer.alloc(length - value.length)]) : value;
  }
  if (typeof value === 'boolean') return Buffer.from([value ? 1 : 0]);
  if (value instanceof Json) return Buffer.from(value.text, 'utf8');
  return Buffer.from(String(value), 'utf8');
}

/** A DECIMAL as a column of `scale` holds it: padded, or rounded half away from zero. */
function rescaled(value: Decimal, scale: number): Decimal {
  if (value.scale <= scale) return new Decimal(value.unscaled * 10n ** BigInt(scale - value.scale), scale);
  const div = 10n ** BigInt(value.scale - scale);
  const abs = value.unscaled < 0n ? -value.unscaled : value.unscaled;
  const rounded = (abs + div / 2n) / div;
  return new Decimal(value.unscaled < 0n ? -rounded : rounded, scale);
}

function numberText(value: number, dataType: string | undefined): string {
  // YEAR keeps four digits, YEAR 0 too (`0000`, not even JSON: what MariaDB hashes all the same).
  if (dataType === 'year') return String(value).padStart(4, '0');
  // FLOAT keeps 6 significant digits (FLT_DIG); the value Debezium sends is its float32 widened.
  if (dataType === 'float') return doubleText(Number(value.toPrecision(6)));
  if (dataType === 'double' || dataType === 'real' || !Number.isInteger(value)) return doubleText(value);
  return BigInt(value).toString();
}

/**
 * A DOUBLE as MariaDB renders it: the shortest digits that read back as the same double (as JS
 * finds them), fixed notation for decimal exponents -15..14, else `<digits>e<exponent>`
 * (`1e15`, `1.5e-16`: no `+`).
 */
function doubleText(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return value === 0 ? '0' : String(value);
  const [mantissa, expText] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -15 || exp > 14) return `${mantissa}e${exp}`;
  const sign = value < 0 ? '-' : '';
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A JSON string as MariaDB writes one: `"` and `\` escaped, the C0 controls as `\n`-style escapes
 * or `\u00XX` with upper-case hex (JSON.stringify writes lower case); everything else (`/`, DEL,
 * U+2028, characters beyond the BMP) as its own UTF-8.
 */
function quote(text: string): string {
  return `"${text.replace(/["\\\u0000-\u001f]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}
