import type { ColumnValue, Row } from '../model';

function valueText(value: ColumnValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  if (Array.isArray(value)) return `[${value.map(valueText).join(',')}]`;
  // numbers and bigints render alike, so 5 (from JSON) and 5n (a decoded BIGINT) are one key.
  return String(value);
}

/**
 * A canonical text for a primary key, used to find changes to the same row. `columns` gives the key
 * order; without it the row's columns are taken in name order.
 */
export function keyString(row: Row, columns: readonly string[] = Object.keys(row).sort()): string {
  return columns.map((c) => `${c}=${valueText(row[c] ?? null)}`).join('&');
}

/** `table/key`: identifies a row across tables. */
export function rowId(table: string, key: Row, columns?: readonly string[]): string {
  return `${table}/${keyString(key, columns)}`;
}

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null))\s*(,|\])/y;

/**
 * A key as MariaDB's JSON_ARRAY writes it (`[9007199254740993, "a"]`), without losing digits:
 * JSON.parse turns integers beyond 2^53 into the nearest double, which names another row.
 * Integers come back as number when exact, else bigint; other numbers as number. Only flat arrays
 * of scalars (what a key is); anything else is undefined.
 */
export function parseKeyJson(text: string): ColumnValue[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  if (/^\[\s*\]$/.test(trimmed)) return [];
  const out: ColumnValue[] = [];
  TOKEN.lastIndex = 1;
  for (;;) {
    const m = TOKEN.exec(trimmed);
    if (!m) return undefined;
    const [, str, num, lit, sep] = m;
    if (str !== undefined) out.push(JSON.parse(str) as string);
    else if (num !== undefined) out.push(/^-?\d+$/.test(num) && !Number.isSafeInteger(Number(num)) ? BigInt(num) : Number(num));
    else out.push(lit === 'null' ? null : lit === 'true');
    if (sep === ']') return TOKEN.lastIndex === trimmed.length ? out : undefined;
  }
}
