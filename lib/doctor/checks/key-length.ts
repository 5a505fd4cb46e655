// A delete is remembered as a tombstone holding the row's primary key as JSON_ARRAY(...) text
// (docs/loop-prevention.md §3), found by that text's digest, in a TEXT column of
// TOMBSTONE_PK_BYTES bytes: a key whose text can be longer cannot be tombstoned. Every key InnoDB
// indexes whole fits; a key on a prefix of a TEXT/BLOB column may not. The bound is worked out
// from the key columns' types, every character escaped.
import { TOMBSTONE_PK_BYTES } from '../../sink';
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

/** `[v1, v2]`: brackets, `, ` between values, and each value's bound. Undefined when one is unbounded. */
function keyBound(columns: CatalogRow[], bound: (c: CatalogRow) => number | undefined): number | undefined {
  let total = 2 + 2 * Math.max(0, columns.length - 1);
  for (const c of columns) {
    const n = bound(c);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/** The key's text as MariaDB renders it, in characters. Undefined when unbounded. */
export const maxKeyJsonChars = (columns: CatalogRow[]): number | undefined => keyBound(columns, maxJsonChars);

const TEXT_TYPES = new Set(['char', 'varchar', 'enum', 'set']);
/** JSON escapes a control character as \u00XX, six bytes: the most one character of text can take. */
const WORST_BYTES_PER_CHAR = 6;

/** The most bytes one key column takes inside JSON_ARRAY(...), every character escaped. Undefined when unbounded. */
export function maxJsonBytes(c: CatalogRow): number | undefined {
  const chars = maxJsonChars(c);
  if (chars === undefined) return undefined;
  return TEXT_TYPES.has(c.DATA_TYPE.toLowerCase()) ? WORST_BYTES_PER_CHAR * (chars - 2) + 2 : chars;
}

/** The key's text in bytes, every character escaped. Undefined when unbounded. */
export const maxKeyJsonBytes = (columns: CatalogRow[]): number | undefined => keyBound(columns, maxJsonBytes);

export function checkKeyLength(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const subject = tableSubject(t.spec.name);
  const bounds = t.sides.map((s) => {
    const key = s.table.primaryKey.map((k) => s.table.columns.find((c) => c.COLUMN_NAME === k)).filter((c): c is CatalogRow => c !== undefined);
    return { key, bytes: key.length === 0 ? 0 : maxKeyJsonBytes(key) };
  });
  if (bounds.some((b) => b.key.length === 0)) return []; // the primary-key check says so
  const worst = bounds.some((b) => b.bytes === undefined) ? undefined : Math.max(...bounds.map((b) => b.bytes ?? 0));
  const key = bounds[0].key.map((c) => `${c.COLUMN_NAME} ${c.COLUMN_TYPE}`).join(', ');
  if (worst !== undefined && worst <= TOMBSTONE_PK_BYTES) {
    return [ok('key length', subject, `key (${key}) renders as at most ${worst} bytes of JSON, every character escaped; tandem_tombstones.pk holds ${TOMBSTONE_PK_BYTES} (tombstones are found by its digest)`)];
  }
  return [
    warning(
      'key length',
      subject,
      `key (${key}) can render as ${worst === undefined ? 'an unbounded number of' : `up to ${worst}`} bytes of JSON; tandem_tombstones.pk holds ${TOMBSTONE_PK_BYTES}: deleting a row whose key text is longer fails (Tandem's delete trigger cannot record its tombstone)`,
      `keep such keys under ${TOMBSTONE_PK_BYTES} bytes of JSON (a bounded key column rather than a prefix of TEXT/BLOB, or a surrogate id as the primary key)`,
    ),
  ];
}
