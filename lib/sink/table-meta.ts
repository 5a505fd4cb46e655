// What the sink and the triggers need to know about a target table, read from the catalog:
// columns in table order (for the content hash), the primary key in index order (for the
// tombstone key), and which columns can be written (generated ones cannot).
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import { fatal } from '../errors';
import type { SqlValue } from './dialect';

export interface ColumnMeta {
  name: string;
  dataType: string;
  /** Binary: as HEX() in tombstone keys and MD5() in the content hash (JSON cannot hold raw bytes). */
  binary: boolean;
  /**
   * For key columns whose JSON rendering depends on the type (dates, decimals, integers): CAST
   * target. A value bound as text (a DECIMAL, or a BIGINT UNSIGNED that Debezium's precise mode
   * sends as a decimal) would otherwise be a JSON string in the tombstone's key, which the
   * triggers render as a number: two tombstones for one row, one of them found by no guard.
   */
  castAs?: string;
  /** The column's own type (`bigint(20) unsigned`, `varchar(64)`), for JSON_TABLE key columns. */
  sqlType: string;
  /** A character type: compared byte for byte by the triggers, whatever its collation. */
  text?: boolean;
  /**
   * Text columns: their character set and collation. A JSON_TABLE column without them takes the
   * database's default, which may not hold the key's characters (latin1 turns 😀 into ?).
   */
  charset?: { name: string; collation: string };
}

/** A foreign key of another table referencing this one with an action InnoDB would not binlog. */
export interface ForeignKeyRef {
  /** The referencing (child) table and its columns, in the order of `refColumns` of this table. */
  table: string;
  columns: string[];
  refColumns: string[];
  onDelete: 'CASCADE' | 'SET NULL';
  /** The child's version column when it has one (SET NULL moves it, so the change replicates). */
  childVersion?: string;
}

export interface TableMeta {
  name: string;
  /** Writable columns in table order. */
  columns: ColumnMeta[];
  insertColumns: string[];
  /** Generated columns: never written; their values in events are ignored. */
  generated: Set<string>;
  primaryKey: string[];
  version: string;
  /** Writable columns that are neither key nor version: the content the tie-break hashes. */
  dataColumns: string[];
  /**
   * Constant defaults (NULL for nullable columns without one), written for a column an event
   * lacks: a row written before the column was added at its source (docs/schema-changes.md).
   */
  defaults?: ReadonlyMap<string, SqlValue>;
  /** Foreign keys referencing this table ON DELETE CASCADE / SET NULL (the triggers make them explicit). */
  referencedBy?: ForeignKeyRef[];
  /** UNIQUE indexes other than the primary key: the sink resolves clashes on them (unique-keys.ts). */
  uniqueKeys?: UniqueKey[];
}

export interface UniqueKey {
  name: string;
  columns: string[];
}

export interface CatalogColumn {
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE?: string;
  EXTRA: string;
  NUMERIC_PRECISION: number | string | null;
  NUMERIC_SCALE: number | string | null;
  DATETIME_PRECISION: number | string | null;
  COLUMN_DEFAULT?: string | null;
  IS_NULLABLE?: string;
  CHARACTER_SET_NAME?: string | null;
  COLLATION_NAME?: string | null;
}

const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit']);
const TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);

function castFor(c: CatalogColumn): string | undefined {
  const dp = Number(c.DATETIME_PRECISION ?? 0);
  switch (c.DATA_TYPE.toLowerCase()) {
    case 'datetime':
    case 'timestamp':
      return `DATETIME(${dp})`;
    case 'date':
      return 'DATE';
    case 'time':
      return `TIME(${dp})`;
    case 'decimal':
      return `DECIMAL(${Number(c.NUMERIC_PRECISION)}, ${Number(c.NUMERIC_SCALE)})`;
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'bigint':
      return /unsigned/i.test(c.COLUMN_TYPE ?? '') ? 'UNSIGNED' : 'SIGNED';
    default:
      return undefined;
  }
}

/**
 * The column's constant default as MariaDB's catalog shows it (`NULL`, `'it''s'`, `1.500`), or
 * undefined when it has none or it is an expression (`current_timestamp(6)`): its value differs
 * per row and per side.
 */
export function catalogDefault(c: CatalogColumn): SqlValue | undefined {
  const d = c.COLUMN_DEFAULT;
  if (d === undefined) return undefined;
  if (d === null || d === 'NULL') return c.IS_NULLABLE === 'YES' ? null : undefined;
  const quoted = /^'(.*)'$/s.exec(d);
  if (quoted) return quoted[1].replace(/''/g, "'").replace(/\\\\/g, '\\');
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(d) ? d : undefined;
}

/** Builds the table description from catalog rows; pure, so it is unit-tested without a server. */
export function tableMetaFrom(table: string, catalog: CatalogColumn[], primaryKey: string[], version: string): TableMeta {
  if (catalog.length === 0) {
    throw fatal(`table ${table} does not exist in the target database`, { stage: 'mysql-sink', hint: 'create it (same schema as the source) or fix the route' });
  }
  const isGenerated = (c: CatalogColumn) => /GENERATED|PERSISTENT|VIRTUAL/i.test(c.EXTRA);
  const writable = catalog.filter((c) => !isGenerated(c));
  const columns = writable.map((c) => ({
    name: c.COLUMN_NAME,
    dataType: c.DATA_TYPE.toLowerCase(),
    binary: BINARY.has(c.DATA_TYPE.toLowerCase()),
    ...(TEXT.has(c.DATA_TYPE.toLowerCase()) ? { text: true } : {}),
    castAs: castFor(c),
    sqlType: c.DATA_TYPE.toLowerCase() === 'timestamp' ? (castFor(c) ?? 'DATETIME(6)') : (c.COLUMN_TYPE ?? c.DATA_TYPE),
    ...(c.CHARACTER_SET_NAME && c.COLLATION_NAME ? { charset: { name: c.CHARACTER_SET_NAME, collation: c.COLLATION_NAME } } : {}),
  }));
  const names = columns.map((c) => c.name);
  if (primaryKey.length === 0) throw fatal(`table ${table} has no primary key; Tandem syncs only tables with one`, { stage: 'mysql-sink' });
  if (!names.includes(version)) {
    throw fatal(`table ${table} has no column ${version}; last-writer-wins needs it`, { stage: 'mysql-sink', hint: 'add `updated_at DATETIME(6)` maintained by the application' });
  }
  return {
    name: table,
    columns,
    insertColumns: names,
    generated: new Set(catalog.filter(isGenerated).map((c) => c.COLUMN_NAME)),
    primaryKey,
    version,
    dataColumns: names.filter((n) => n !== version && !primaryKey.includes(n)),
    defaults: new Map(writable.flatMap((c) => {
      const d = catalogDefault(c);
      return d === undefined ? [] : [[c.COLUMN_NAME, d] as const];
    })),
  };
}

/** Foreign keys of other tables referencing `table` with ON DELETE CASCADE or SET NULL. */
async function readReferencedBy(db: Pool | Connection, table: string, version: string): Promise<ForeignKeyRef[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT rc.CONSTRAINT_NAME AS name, rc.TABLE_NAME AS child, rc.DELETE_RULE AS onDelete, k.COLUMN_NAME AS col, k.REFERENCED_COLUMN_NAME AS ref, ' +
      '(SELECT COUNT(*) FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = rc.CONSTRAINT_SCHEMA AND c.TABLE_NAME = rc.TABLE_NAME AND c.COLUMN_NAME = ?) AS hasVersion ' +
      'FROM information_schema.REFERENTIAL_CONSTRAINTS rc JOIN information_schema.KEY_COLUMN_USAGE k ' +
      'ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND k.TABLE_NAME = rc.TABLE_NAME ' +
      "WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.REFERENCED_TABLE_NAME = ? AND rc.DELETE_RULE IN ('CASCADE', 'SET NULL') " +
      'ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    [version, table],
  );
  const byName = new Map<string, ForeignKeyRef>();
  for (const r of rows) {
    const key = `${String(r.child)}.${String(r.name)}`;
    let fk = byName.get(key);
    if (!fk) {
      fk = { table: String(r.child), columns: [], refColumns: [], onDelete: r.onDelete === 'CASCADE' ? 'CASCADE' : 'SET NULL', ...(Number(r.hasVersion) > 0 ? { childVersion: version } : {}) };
      byName.set(key, fk);
    }
    fk.columns.push(String(r.col));
    fk.refColumns.push(String(r.ref));
  }
  return [...byName.values()];
}

export async function readTableMeta(db: Pool | Connection, table: string, version: string): Promise<TableMeta> {
  const [cols] = await db.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, EXTRA, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_DEFAULT, IS_NULLABLE, CHARACTER_SET_NAME, COLLATION_NAME ' +
      'FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [table],
  );
  const [pk] = await db.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [table],
  );
  const meta = tableMetaFrom(table, cols as CatalogColumn[], pk.map((r) => String(r.COLUMN_NAME)), version);
  const referencedBy = await readReferencedBy(db, table, version);
  const uniqueKeys = await readUniqueKeys(db, table);
  return { ...meta, ...(referencedBy.length > 0 ? { referencedBy } : {}), ...(uniqueKeys.length > 0 ? { uniqueKeys } : {}) };
}

async function readUniqueKeys(db: Pool | Connection, table: string): Promise<UniqueKey[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    "SELECT INDEX_NAME AS name, COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    [table],
  );
  const byName = new Map<string, UniqueKey>();
  for (const r of rows) {
    const name = String(r.name);
    let k = byName.get(name);
    if (!k) byName.set(name, (k = { name, columns: [] }));
    k.columns.push(String(r.col));
  }
  return [...byName.values()];
}
