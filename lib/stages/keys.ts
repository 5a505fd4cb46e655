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
