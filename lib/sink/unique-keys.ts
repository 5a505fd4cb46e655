// Two different rows may claim one value of a UNIQUE index: two masters insert users with the same
// email at once, or one value moves from a row to another and the two changes are applied in the
// other order. INSERT ... ON DUPLICATE KEY UPDATE fires on a clash with ANY unique index, so it
// would write one key's data into the other key's row. Tables with UNIQUE indexes are therefore
// upserted row by row after a locked probe: when another key holds the value, the newer of the
// two rows (updated_at, then the greater primary key) keeps it, and the older row is removed like
// a delete, tombstoned at its own version so a later version of it can still come back. Each side
// decides the same way from the same two versions, so both converge; the loser goes to the audit.
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { retriable } from '../errors';
import { LocalDateTime, tally, type ChangeEvent, type ConflictRecord, type Row, type TableCounts } from '../model';
import { uniqueConflictValues, type Dialect, type SqlValue } from './dialect';
import type { PreparedUpsert } from './prepare';
import type { TableMeta, UniqueKey } from './table-meta';

export interface UpsertCounts {
  applied: number;
  skipped: number;
  audits?: ConflictRecord[];
  tables?: Record<string, TableCounts>;
}

interface Conflict {
  index: UniqueKey;
  row: RowDataPacket;
}

/** A stored row as an event, so the audit shows both sides alike. */
function storedEvent(meta: TableMeta, row: RowDataPacket): ChangeEvent {
  const after: Row = Object.fromEntries(meta.columns.map((c) => [c.name, row[c.name] as Row[string]]));
  const key: Row = Object.fromEntries(meta.primaryKey.map((c) => [c, after[c]]));
  return {
    op: 'r',
    before: null,
    after,
    key,
    source: { connector: 'mysql-sink', name: 'target', db: '', table: meta.name, serverId: 0, gtid: null, file: '', pos: 0, row: 0, tsMs: 0, snapshot: false, thread: null },
    headers: {},
    target: { table: meta.name },
  };
}

/** Removes the row like a delete at `at`: a tombstone at that time, then the row if not newer. */
async function removeAt(conn: PoolConnection, dialect: Dialect, meta: TableMeta, key: SqlValue[] | { pkText: string }, at: string, origin: number): Promise<number> {
  if ('pkText' in key) {
    // A stored row: its key as the database renders it, exactly as its tombstone must read.
    await conn.query(dialect.tombstoneByPkText(), [meta.name, key.pkText, at, origin]);
    const [res] = await conn.query<ResultSetHeader>(dialect.deleteGuardedByPkText(meta), [meta.name, key.pkText]);
    return res.affectedRows;
  }
  await conn.query(dialect.upsertTombstones(meta, 1), [meta.name, ...key, at, origin]);
  const [res] = await conn.query<ResultSetHeader>(dialect.deleteGuarded(meta, 1), [meta.name, ...key]);
  return res.affectedRows;
}

async function conflictsOf(conn: PoolConnection, dialect: Dialect, meta: TableMeta, row: PreparedUpsert, version: string): Promise<Conflict[]> {
  const out: Conflict[] = [];
  for (const index of meta.uniqueKeys ?? []) {
    const values = index.columns.map((c) => row.values[meta.insertColumns.indexOf(c)]);
    // NULLs never clash in a UNIQUE index.
    if (values.some((v) => v === null)) continue;
    const [rows] = await conn.query<RowDataPacket[]>(dialect.uniqueConflicts(meta, index), uniqueConflictValues(version, row.key, values));
    for (const r of rows) out.push({ index, row: r });
  }
  return out;
}

/**
 * Applies one row of a table with UNIQUE indexes inside the flush's transaction. `upsertOne`
 * writes the row with the usual guarded single-row upsert once no other key holds its values.
 */
export async function upsertWithUniqueKeys(
  conn: PoolConnection,
  dialect: Dialect,
  meta: TableMeta,
  row: PreparedUpsert,
  counts: UpsertCounts,
  upsertOne: () => Promise<void>,
  /** The origin these removals record: Tandem's own server id, the same on both sides (verify compares tombstones). */
  origin: number,
): Promise<void> {
  const version = new LocalDateTime(row.version, 6).toString();
  // Each round removes at least one older row; more rounds than indexes means something raced.
  for (let round = 0; round <= (meta.uniqueKeys?.length ?? 0) + 1; round++) {
    const [own] = await conn.query<RowDataPacket[]>(dialect.lockVersion(meta), row.key);
    // The row's own key already holds this version or a newer one: the guard decides, and a
    // stale version must not push another key out.
    if (own.length > 0 && LocalDateTime.parse(String(own[0].v)).epochMicros >= row.version) return upsertOne();
    const conflicts = await conflictsOf(conn, dialect, meta, row, version);
    if (conflicts.length === 0) return upsertOne();
    const winner = conflicts.find((c) => Number(c.row.tandem_incoming_wins) !== 1);
    if (winner) {
      // An older row than one that holds the value: it goes, on both sides.
      tally(counts, meta.name, await removeAt(conn, dialect, meta, row.key, version, origin), 1);
      (counts.audits ??= []).push({ stage: '', table: meta.name, key: row.event.key, winner: storedEvent(meta, winner.row), loser: row.event, index: winner.index.name });
      return;
    }
    for (const c of conflicts) {
      const loser = storedEvent(meta, c.row);
      tally(counts, meta.name, await removeAt(conn, dialect, meta, { pkText: String(c.row.tandem_pk) }, String(c.row.tandem_version), origin), 0);
      (counts.audits ??= []).push({ stage: '', table: meta.name, key: loser.key, winner: row.event, loser, index: c.index.name });
    }
  }
  throw retriable(`${meta.name}: rows kept claiming the unique values of key ${JSON.stringify(row.key.map(String))} while it was being applied; retrying the batch`);
}
