// How many bytes a statement takes on the wire, which is what the target's max_allowed_packet is
// compared with. mysql2's `query` escapes bound values into the statement text on the client:
// a Buffer becomes X'<hex>' (two bytes per byte), a string is quoted with a backslash before each
// of \0 \b \t \n \r \x1A " ' \, numbers are their decimal text. A statement over the limit is
// not refused politely: the server drops the connection (ECONNRESET), which looks like an outage
// and would be retried forever. So the sink measures before it sends. No I/O.
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, type ChangeEvent, type ColumnValue, type Row } from '../model';
import type { SqlValue } from './dialect';

const ANY_ESCAPED = /[\0\b\t\n\r\x1a"'\\]/;

function escapedChars(s: string, from: number): number {
  let n = 0;
  for (let i = from; i < s.length; i++) {
    switch (s.charCodeAt(i)) {
      case 0: case 8: case 9: case 10: case 13: case 26: case 34: case 39: case 92:
        n++;
    }
  }
  return n;
}

/** The exact length of `v` as mysql2 writes it into the statement text, in UTF-8 bytes. */
export function literalBytes(v: SqlValue): number {
  if (v === null) return 4; // NULL
  if (typeof v === 'string') {
    const first = v.search(ANY_ESCAPED);
    return Buffer.byteLength(v) + (first < 0 ? 0 : escapedChars(v, first)) + 2;
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v).length;
  return 2 * v.length + 3; // X'...'
}

const INT64_DIGITS = 10n ** 19n;

/** At least `literalBytes(v)`, in O(1): a UTF-16 unit is at most 3 UTF-8 bytes, an escaped one 2. */
function literalBytesAtMost(v: SqlValue): number {
  if (typeof v === 'string') return 3 * v.length + 2;
  if (typeof v === 'number') return 25; // the longest text of a double: sign, 17 digits, point, exponent
  if (typeof v === 'bigint') return v < INT64_DIGITS && v > -INT64_DIGITS ? 21 : String(v).length;
  return literalBytes(v);
}

/** The statement's exact size once its values are escaped into it (each replaces one `?`). */
export function statementBytes(sql: string, values: readonly SqlValue[]): number {
  let n = Buffer.byteLength(sql) - values.length;
  for (const v of values) n += literalBytes(v);
  return n;
}

/**
 * `undefined` when the statement fits in `limit` bytes; its exact size when it does not. A cheap
 * upper bound decides first, so the values are scanned only when the statement may be too large.
 */
export function oversize(limit: number, sql: string, values: readonly SqlValue[]): number | undefined {
  let bound = Buffer.byteLength(sql);
  for (const v of values) bound += literalBytesAtMost(v);
  if (bound <= limit) return undefined;
  const exact = statementBytes(sql, values);
  return exact <= limit ? undefined : exact;
}

/** The length prefix of a value in the binary protocol (a length-encoded integer). */
function lengthPrefix(n: number): number {
  return n < 251 ? 1 : n < 1 << 16 ? 3 : n < 1 << 24 ? 4 : 9;
}

/**
 * At least the size of a prepared statement's execution with these values (the binary protocol,
 * mysql2 `execute`): values travel as they are, not escaped, so a Buffer takes its own length.
 * Header, null bitmap and two type bytes per value, then each value length-prefixed (a number is
 * an 8-byte double).
 */
export function executeBytes(values: readonly SqlValue[]): number {
  let n = 11 + Math.ceil(values.length / 8);
  for (const v of values) {
    n += 2;
    if (v === null) continue;
    if (typeof v === 'number') n += 8;
    else {
      const len = typeof v === 'string' ? Buffer.byteLength(v) : typeof v === 'bigint' ? String(v).length : v.length;
      n += lengthPrefix(len) + len;
    }
  }
  return n;
}

/** At most what a column value becomes as a literal (after `toSqlValue`); cheap, no scan. */
function columnBytesAtMost(v: ColumnValue | undefined): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 4;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || Buffer.isBuffer(v)) return literalBytesAtMost(v);
  if (v instanceof LocalDateTime || v instanceof ZonedDateTime) return 28; // 'YYYY-MM-DD HH:MM:SS.ffffff'
  if (v instanceof LocalDate) return 14;
  if (v instanceof LocalTime) return 20; // '-838:59:59.000000'
  if (v instanceof Decimal) return Math.max(v.unscaled.toString().length, v.scale) + 5;
  if (v instanceof Json) return 3 * v.text.length + 2;
  return 0; // an array: refused before it reaches a statement
}

function rowBytesAtMost(row: Row): number {
  let n = 0;
  for (const c in row) n += columnBytesAtMost(row[c]) + 2; // and ", "
  return n;
}

/**
 * About what one event adds to the statements of a flush: its values as literals plus the text
 * around them (separators, the row's parentheses, the key again in the tombstone guard or the
 * delete's key list). Not the statement's own text: the sink keeps room for that.
 */
export function eventBytes(event: ChangeEvent): number {
  const key = rowBytesAtMost(event.key);
  if (event.after) return rowBytesAtMost(event.after) + 2 * key + 72;
  return 3 * key + 200; // tombstone row (table, key, time, origin) and the delete's key tuple
}
