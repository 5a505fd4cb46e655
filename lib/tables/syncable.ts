// Whether Tandem can sync a table, read from one database's catalog: last-writer-wins needs a
// primary key (to find the row on the other side) and `updated_at` DATETIME(6)/TIMESTAMP(6) NOT
// NULL (the version it orders by, to the microsecond the triggers add). Used for TANDEM_TABLES=*
// at start and for tables created while Tandem runs.
import type { Connection, Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { OWN_TABLE_PREFIX, type TableSpec } from '../config';
import { UPDATED_AT } from '../stages/version';

export type Syncability = { ok: true; spec: TableSpec } | { ok: false; reason: string };

type Db = Pool | PoolConnection | Connection;

export async function syncability(db: Db, table: string): Promise<Syncability> {
  const [pk] = await db.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [table],
  );
  const [version] = await db.query<RowDataPacket[]>(
    'SELECT DATA_TYPE, COLUMN_TYPE, DATETIME_PRECISION, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    [table, UPDATED_AT],
  );
  const reasons: string[] = [];
  if (pk.length === 0) reasons.push('it has no primary key');
  const v = version[0];
  if (!v) reasons.push(`it has no ${UPDATED_AT} column`);
  else {
    const type = String(v.DATA_TYPE).toLowerCase();
    if ((type !== 'datetime' && type !== 'timestamp') || Number(v.DATETIME_PRECISION ?? 0) !== 6) reasons.push(`its ${UPDATED_AT} is ${String(v.COLUMN_TYPE)}, not DATETIME(6) or TIMESTAMP(6)`);
    if (v.IS_NULLABLE === 'YES') reasons.push(`its ${UPDATED_AT} is nullable`);
  }
  if (reasons.length > 0) return { ok: false, reason: reasons.join(', ') };
  return { ok: true, spec: { name: table, primaryKey: pk.map((r) => String(r.COLUMN_NAME)) } };
}

/** The base tables of the connection's database, Tandem's own left out. */
export async function baseTables(db: Db): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  );
  return rows.map((r) => String(r.name)).filter((t) => !t.startsWith(OWN_TABLE_PREFIX));
}
