// Applies prepared rows of one table inside the flush's open transaction. A statement that
// fails because of one bad row is rolled back by InnoDB on its own (the transaction stays
// open), so the rows are split in halves until the bad one is alone: it is dead-lettered and
// the others are written in the same transaction.
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { LocalDateTime, type DeadLetter } from '../model';
import { describeMysqlError, kindOfMysqlError } from './classify';
import type { Dialect, SqlValue } from './dialect';
import type { PreparedDelete, PreparedUpsert } from './prepare';
import type { TableMeta } from './table-meta';

export interface ApplyCounts {
  applied: number;
  skipped: number;
  deadLetters: DeadLetter[];
}

export const SINK_STAGE = 'mysql-sink';

async function splitOnPoison<T extends { event: DeadLetter['event'] }>(
  rows: T[],
  exec: (rows: T[]) => Promise<void>,
  counts: ApplyCounts,
  what: string,
): Promise<void> {
  try {
    await exec(rows);
  } catch (err) {
    if (kindOfMysqlError(err) !== 'poison') throw err;
    if (rows.length === 1) {
      counts.deadLetters.push({ stage: SINK_STAGE, reason: `${what}: ${describeMysqlError(err)}`, event: rows[0].event, kafka: rows[0].event?.kafka });
      return;
    }
    const mid = rows.length >> 1;
    await splitOnPoison(rows.slice(0, mid), exec, counts, what);
    await splitOnPoison(rows.slice(mid), exec, counts, what);
  }
}

/** Rows an ON DUPLICATE KEY UPDATE really changed: inserts count 1, updates 2, no-ops 0. */
export function changedRows(header: ResultSetHeader, rows: number): number {
  // MariaDB's info "Records: n  Duplicates: d": d counts rows that were updated (changed).
  const m = /Duplicates:\s*(\d+)/.exec(header.info ?? '');
  if (m) return header.affectedRows - Number(m[1]);
  // Single-row statements carry no info: 1 = inserted, 2 = updated, 0 = unchanged.
  return rows === 1 ? Math.min(header.affectedRows, 1) : header.affectedRows;
}

export async function applyDeletes(conn: PoolConnection, dialect: Dialect, meta: TableMeta, rows: PreparedDelete[], counts: ApplyCounts): Promise<void> {
  const written: PreparedDelete[] = [];
  await splitOnPoison(
    rows,
    async (part) => {
      const values: SqlValue[] = [];
      for (const r of part) values.push(meta.name, ...r.key, r.deletedAt, r.origin);
      await conn.query(dialect.upsertTombstones(meta, part.length), values);
      written.push(...part);
    },
    counts,
    `recording the tombstone in ${meta.name}`,
  );
  if (written.length === 0) return;
  const [res] = await conn.query<ResultSetHeader>(dialect.deleteGuarded(meta, written.length), [meta.name, ...written.flatMap((r) => r.key)]);
  counts.applied += res.affectedRows;
  counts.skipped += written.length - res.affectedRows;
}

export async function applyUpserts(conn: PoolConnection, dialect: Dialect, meta: TableMeta, rows: PreparedUpsert[], counts: ApplyCounts): Promise<void> {
  // Locking read: a concurrent application delete (its trigger writes the tombstone) waits for
  // this transaction or deadlocks with it (retried); it can never slip in between.
  const lockValues = dialect.lockTombstoneValues(meta, meta.name, rows.map((r) => r.key));
  const [locked] = await conn.query<RowDataPacket[]>(dialect.lockTombstones(meta, rows.length), lockValues);
  const buried = new Set<number>();
  for (const t of locked) {
    const i = Number(t.i);
    if (LocalDateTime.parse(String(t.deleted_at)).epochMicros >= rows[i].version) buried.add(i);
  }
  counts.skipped += buried.size;
  const live = buried.size ? rows.filter((_, i) => !buried.has(i)) : rows;
  if (live.length === 0) return;
  await splitOnPoison(
    live,
    async (part) => {
      const values: SqlValue[] = [];
      for (const r of part) for (const v of r.values) values.push(v);
      const [res] = await conn.query<ResultSetHeader>(dialect.upsert(meta, part.length), values);
      const changed = changedRows(res, part.length);
      counts.applied += changed;
      counts.skipped += part.length - changed;
    },
    counts,
    `writing to ${meta.name}`,
  );
}
