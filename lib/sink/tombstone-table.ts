// Tandem's own table, `tandem_tombstones`: created in its current shape, or an older one brought
// to it in place. Safe to run again and again (every `tandem setup` and every start runs it), and
// while applications keep deleting.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { TOMBSTONE_TABLE, type Dialect } from './dialect';

/** Rows updated per transaction when an older table's rows get their digest. */
const BACKFILL_ROWS = 5000;

interface Shape {
  columns: string[];
  primaryKey: string[];
}

async function shapeOf(pool: Pool, dialect: Dialect): Promise<Shape> {
  const [rows] = await pool.query<RowDataPacket[]>(dialect.tombstoneMigration.shape, [TOMBSTONE_TABLE]);
  const pk = rows[0]?.PK_COLUMNS;
  return { columns: rows.map((r) => String(r.COLUMN_NAME)), primaryKey: typeof pk === 'string' && pk ? pk.split(',') : [] };
}

/**
 * Gives every existing row its digest, in chunks of the older primary key's order (short
 * transactions: application deletes wait for one chunk at most). Rows inserted meanwhile get
 * theirs from the key trigger, which is installed first.
 */
async function backfill(pool: Pool, dialect: Dialect): Promise<void> {
  const sql = dialect.tombstoneMigration;
  let after: [string, string] = ['', ''];
  for (;;) {
    const [bounds] = await pool.query<RowDataPacket[]>(sql.backfillBoundary, [after[0], after[0], after[1], BACKFILL_ROWS - 1]);
    if (bounds.length === 0) {
      await pool.query(sql.backfillRest, [after[0], after[0], after[1]]);
      return;
    }
    const upTo: [string, string] = [String(bounds[0].tbl), String(bounds[0].pk)];
    await pool.query(sql.backfillPkHash, [after[0], after[0], after[1], upTo[0], upTo[0], upTo[1]]);
    after = upTo;
  }
}

/**
 * Creates `tandem_tombstones`, or migrates one keyed by the key text (`PRIMARY KEY (tbl, pk)`,
 * `pk VARCHAR(512)`: longer keys made the application's DELETE fail) to the key digest
 * (`PRIMARY KEY (tbl, pk_hash)`, `pk TEXT`). `step` names what is being done, for errors.
 */
export async function ensureTombstoneTable(pool: Pool, dialect: Dialect, step: (what: string) => void = () => undefined): Promise<void> {
  const sql = dialect.tombstoneMigration;
  step(`creating ${TOMBSTONE_TABLE}`);
  await pool.query(dialect.createTombstoneTable());
  let shape = await shapeOf(pool, dialect);
  if (!shape.columns.includes('pk_hash')) {
    step(`adding pk_hash to ${TOMBSTONE_TABLE}`);
    await pool.query(sql.addPkHash);
  }
  step(`installing the key trigger of ${TOMBSTONE_TABLE}`);
  for (const ddl of sql.keyTrigger()) await pool.query(ddl);
  shape = await shapeOf(pool, dialect);
  if (shape.primaryKey.join(',') !== 'tbl,pk_hash') {
    step(`filling pk_hash of the existing rows of ${TOMBSTONE_TABLE}`);
    await backfill(pool, dialect);
    step(`re-keying ${TOMBSTONE_TABLE} by (tbl, pk_hash)`);
    await pool.query(sql.rekey);
  }
}
