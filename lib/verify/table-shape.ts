// What verify needs to know about one table on both sides: the primary key, the columns both
// sides have (compared), and the columns only one side has (a schema difference, reported).
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';

export interface VerifyColumn {
  name: string;
  /** Compared and shown as HEX(): raw bytes are not text. */
  binary: boolean;
  /** SQL that turns a bound key text back into the column's type, `?` being the placeholder. */
  bind: string;
}

export interface TableShape {
  name: string;
  primaryKey: VerifyColumn[];
  /** Columns both sides have, in side a's table order. */
  columns: VerifyColumn[];
  onlyInA: string[];
  onlyInB: string[];
}

export interface CatalogRow {
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  NUMERIC_PRECISION: number | string | null;
  NUMERIC_SCALE: number | string | null;
  DATETIME_PRECISION: number | string | null;
  /** `YES`/`NO`; read by tandem doctor (updated_at must be NOT NULL). */
  IS_NULLABLE?: string;
  /** `auto_increment`, `VIRTUAL GENERATED`, ...; read by tandem doctor. */
  EXTRA?: string;
}

const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit']);
const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/**
 * Key values travel as text (exact: dates with microseconds, big integers, decimals); the bound
 * text is cast back to the column's type so the server compares values, not strings or doubles.
 */
export function bindFor(c: CatalogRow): string {
  const type = c.DATA_TYPE.toLowerCase();
  const dp = Number(c.DATETIME_PRECISION ?? 0);
  if (INTEGER.has(type)) return /unsigned/i.test(c.COLUMN_TYPE) ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)';
  if (BINARY.has(type)) return 'UNHEX(?)';
  switch (type) {
    case 'decimal':
      return `CAST(? AS DECIMAL(${Number(c.NUMERIC_PRECISION)}, ${Number(c.NUMERIC_SCALE)}))`;
    case 'datetime':
    case 'timestamp':
      return `CAST(? AS DATETIME(${dp}))`;
    case 'date':
      return 'CAST(? AS DATE)';
    case 'time':
      return `CAST(? AS TIME(${dp}))`;
    default:
      return '?';
  }
}

function toColumn(c: CatalogRow): VerifyColumn {
  return { name: c.COLUMN_NAME, binary: BINARY.has(c.DATA_TYPE.toLowerCase()), bind: bindFor(c) };
}

/** Pure: the shape from both catalogs, or the reason the table cannot be compared. */
export function shapeFrom(table: string, a: { columns: CatalogRow[]; key: string[] }, b: { columns: CatalogRow[]; key: string[] }): TableShape | string {
  if (a.columns.length === 0 && b.columns.length === 0) return `table ${table} exists on neither side`;
  if (a.columns.length === 0) return `table ${table} is missing on side a`;
  if (b.columns.length === 0) return `table ${table} is missing on side b`;
  if (a.key.length === 0) return `table ${table} has no primary key (verify compares by primary key)`;
  if (a.key.join(',') !== b.key.join(',')) return `table ${table} has primary key (${a.key.join(', ')}) on a but (${b.key.join(', ')}) on b`;
  const namesB = new Set(b.columns.map((c) => c.COLUMN_NAME));
  const namesA = new Set(a.columns.map((c) => c.COLUMN_NAME));
  const common = a.columns.filter((c) => namesB.has(c.COLUMN_NAME)).map(toColumn);
  return {
    name: table,
    primaryKey: a.key.map((k) => common.find((c) => c.name === k)).filter((c): c is VerifyColumn => c !== undefined),
    columns: common,
    onlyInA: a.columns.filter((c) => !namesB.has(c.COLUMN_NAME)).map((c) => c.COLUMN_NAME),
    onlyInB: b.columns.filter((c) => !namesA.has(c.COLUMN_NAME)).map((c) => c.COLUMN_NAME),
  };
}

export async function readCatalog(db: Pool | Connection, table: string): Promise<{ columns: CatalogRow[]; key: string[] }> {
  const [columns] = await db.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, IS_NULLABLE, EXTRA FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [table],
  );
  const [key] = await db.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [table],
  );
  return { columns: columns as CatalogRow[], key: key.map((r) => String(r.COLUMN_NAME)) };
}
