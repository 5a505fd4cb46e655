// What the loop-prevention design needs inside each database (docs/loop-prevention.md §3, §5):
// the tombstone table and three triggers per synced table. Installed and removed idempotently.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { toTandemError } from './classify';
import { createSinkPool } from './connection';
import { SQL, TOMBSTONE_TABLE, dialectFor, type Dialect } from './dialect';
import { readTableMeta } from './table-meta';
import { ensureTombstoneTable } from './tombstone-table';

export interface OriginSupportOptions {
  versionColumn?: string;
  /** uninstall only: keep the tombstone table (its rows still guard against resurrection). */
  keepTombstones?: boolean;
}

async function withPool<T>(target: Pool | string, fn: (pool: Pool, dialect: Dialect) => Promise<T>): Promise<T> {
  const pool = typeof target === 'string' ? createSinkPool(target, 1) : target;
  try {
    const [rows] = await pool.query<RowDataPacket[]>(SQL.serverVersion);
    return await fn(pool, dialectFor(String(rows[0].v)));
  } finally {
    if (typeof target === 'string') await pool.end();
  }
}

/**
 * Creates `tandem_tombstones` (or brings an older one to the current shape) and (re)creates the
 * triggers of every table. Safe to re-run.
 */
export async function installOriginSupport(target: Pool | string, tables: readonly string[], options: OriginSupportOptions = {}): Promise<void> {
  await withPool(target, async (pool, dialect) => {
    let step = 'creating tandem_tombstones';
    try {
      await ensureTombstoneTable(pool, dialect, (what) => (step = what));
      for (const table of tables) {
        step = `installing the triggers of ${table}`;
        const meta = await readTableMeta(pool, table, options.versionColumn ?? 'updated_at');
        for (const ddl of dialect.createTriggers(meta)) await pool.query(ddl);
      }
    } catch (err) {
      throw toTandemError(err, step);
    }
  });
}

/**
 * Drops the triggers of `tables`, and the tombstone table unless kept or still used: the delete
 * triggers of every other synced table write into it, so it goes only with the last of them.
 * Returns the tables whose triggers kept it. Safe to re-run.
 */
export async function uninstallOriginSupport(target: Pool | string, tables: readonly string[], options: OriginSupportOptions = {}): Promise<{ tombstonesKeptFor: string[] }> {
  return withPool(target, async (pool, dialect) => {
    try {
      for (const table of tables) for (const ddl of dialect.dropTriggers(table)) await pool.query(ddl);
      const [rows] = await pool.query<RowDataPacket[]>(SQL.tablesWithTandemTriggers, [TOMBSTONE_TABLE]);
      const users = rows.map((r) => String(r.t));
      if (!options.keepTombstones && users.length === 0) await pool.query(dialect.dropTombstoneTable());
      return { tombstonesKeptFor: users };
    } catch (err) {
      throw toTandemError(err, 'removing Tandem triggers');
    }
  });
}
