// A delete is remembered as a tombstone keyed by the row's primary key as JSON_ARRAY(...) text
// (docs/loop-prevention.md §3), in a column of TOMBSTONE_PK_CHARS characters: a key whose text can
// be longer cannot be tombstoned. The bound is worked out from the key columns' types.
import { TOMBSTONE_PK_CHARS } from '../../sink';
import type { CatalogRow } from '../../verify';
import { ok, warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

const INTEGER_CHARS: Readonly<Record<string, number>> = { tinyint: 4, smallint: 6, mediumint: 8, int: 11, integer: 11, bigint: 20 };
const HEXED = new Set(['binary', 'varbinary', 'bit']);

/** The `(n)` of `varchar(n)`, `binary(n)`, `bit(n)`. */
const lengthOf = (columnType: string): number | undefined => {
  const m = /\((\d+)\)/.exec(columnType);
  return m ? Number(m[1]) : undefined;
};

/** Members of `enum('a','b')` / `set(...)`. */
const membersOf = (columnType: string): string[] => [...columnType.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));

/**
 * The most characters one key column takes inside JSON_ARRAY(...), quotes included, assuming its
 * text holds no character JSON escapes (a quote, a backslash, a control character: each takes 2
 * to 6). Undefined when the type has no bound (TEXT, BLOB, JSON).
 */
export function maxJsonChars(c: CatalogRow): number | undefined {
  const type = c.DATA_TYPE.toLowerCase();
  const n = lengthOf(c.COLUMN_TYPE);
  const fraction = Number(c.DATETIME_PRECISION ?? 0) > 0 ? Number(c.DATETIME_PRECISION) + 1 : 0;
  if (type in INTEGER_CHARS) return INTEGER_CHARS[type];
  if (type === 'decimal') return Number(c.NUMERIC_PRECISION) + 2;
  if (type === 'float' || type === 'double') return 24;
  if (type === 'year') return 4;
  if (type === 'date') return 12;
  if (type === 'datetime' || type === 'timestamp') return 21 + fraction;
  if (type === 'time') return 12 + fraction;
  if (type === 'char' || type === 'varchar') return n === undefined ? undefined : n + 2;
  // Binary key columns are written as HEX(): two characters a byte (bit(n): n bits).
  if (HEXED.has(type)) return n === undefined ? undefined : 2 * (type === 'bit' ? Math.ceil(n / 8) : n) + 2;
  if (type === 'enum') return Math.max(0, ...membersOf(c.COLUMN_TYPE).map((m) => m.length)) + 2;
  if (type === 'set') return membersOf(c.COLUMN_TYPE).join(',').length + 2;
  if (type === 'uuid') return 38;
  if (type === 'inet4') return 17;
  if (type === 'inet6') return 41;
  return undefined;
}

/** `[v1, v2]` as MariaDB renders it: brackets, and `, ` between values. Undefined when unbounded. */
export function maxKeyJsonChars(columns: CatalogRow[]): number | undefined {
  let total = 2 + 2 * Math.max(0, columns.length - 1);
  for (const c of columns) {
    const chars = maxJsonChars(c);
    if (chars === undefined) return undefined;
    total += chars;
  }
  return total;
}

export function checkKeyLength(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const subject = tableSubject(t.spec.name);
  const bounds = t.sides.map((s) => {
    const key = s.table.primaryKey.map((k) => s.table.columns.find((c) => c.COLUMN_NAME === k)).filter((c): c is CatalogRow => c !== undefined);
    return { key, chars: key.length === 0 ? 0 : maxKeyJsonChars(key) };
  });
  if (bounds.some((b) => b.key.length === 0)) return []; // the primary-key check says so
  const worst = bounds.some((b) => b.chars === undefined) ? undefined : Math.max(...bounds.map((b) => b.chars ?? 0));
  const key = bounds[0].key.map((c) => `${c.COLUMN_NAME} ${c.COLUMN_TYPE}`).join(', ');
  if (worst !== undefined && worst <= TOMBSTONE_PK_CHARS) return [ok('key length', subject, `key (${key}) renders as at most ${worst} characters of JSON; tandem_tombstones.pk holds ${TOMBSTONE_PK_CHARS}`)];
  return [
    warning(
      'key length',
      subject,
      `key (${key}) can render as ${worst === undefined ? 'an unbounded number of' : `up to ${worst}`} characters of JSON; tandem_tombstones.pk holds ${TOMBSTONE_PK_CHARS}: deleting a row whose key text is longer fails (Tandem's delete trigger cannot record its tombstone)`,
      `keep such keys shorter than ${TOMBSTONE_PK_CHARS} characters of JSON (a shorter key column, or a surrogate id as the primary key)`,
    ),
  ];
}
