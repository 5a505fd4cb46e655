// Applies prepared rows of one table inside the flush's open transaction. A statement that
// fails because of one bad row is rolled back by InnoDB on its own (the transaction stays
// open), so the rows are split in halves until the bad one is alone: it is dead-lettered and
// the others are written in the same transaction. A statement larger than `maxBytes` (the
// session's max_allowed_packet, less a margin) is never sent: it is split the same way, a row too
// large as text goes as a prepared statement, and a row too large even so is dead-lettered.
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { poison } from '../errors';
import { LocalDateTime, tally, type ConflictRecord, type DeadLetter, type TableCounts } from '../model';
import { describeMysqlError, isConnectionError, kindOfMysqlError } from './classify';
import { REFUSED_BY_TOMBSTONE, SQL, type Dialect, type SqlValue } from './dialect';
import type { PreparedDelete, PreparedUpsert } from './prepare';
import { executeBytes, oversize } from './sql-size';
import { upsertWithUniqueKeys } from './unique-keys';
import type { TableMeta } from './table-meta';

export interface ApplyCounts {
  applied: number;
  skipped: number;
  deadLetters: DeadLetter[];
  /** Unique-key conflicts resolved while applying (unique-keys.ts). */
  audits?: ConflictRecord[];
  tables?: Record<string, TableCounts>;
}

export const SINK_STAGE = 'mysql-sink';

/** The rows of one table in one write() call. */
export interface TableBatch {
  meta: TableMeta;
  upserts: PreparedUpsert[];
  deletes: PreparedDelete[];
}

/** One write() call's share of a flush: its tables, and its counts so far (refusals). */
export interface PlannedChunk {
  groups: TableBatch[];
  counts: ApplyCounts;
}

// The statement text of a 1000-row upsert is ~40 kB; flushes of one table mostly repeat a few sizes.
const upsertTexts = new WeakMap<TableMeta, Map<number, string>>();
function upsertSql(dialect: Dialect, meta: TableMeta, rows: number): string {
  let bySize = upsertTexts.get(meta);
  if (!bySize) upsertTexts.set(meta, (bySize = new Map()));
  let sql = bySize.get(rows);
  if (sql === undefined) {
    sql = dialect.upsert(meta, rows);
    if (bySize.size >= 8) bySize.delete(bySize.keys().next().value as number);
    bySize.set(rows, sql);
  }
  return sql;
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Sends one statement of `rows` rows, never one larger than `maxBytes`: a larger one is refused
 * as poison, so that the rows are split in halves. A single row too large as text (binary values
 * double as hex) goes as a prepared statement, whose values travel unescaped; a row too large
 * even so is refused, and dead-lettered with the reason.
 */
async function send(conn: PoolConnection, maxBytes: number, sql: string, values: SqlValue[], rows: number): Promise<ResultSetHeader> {
  const text = oversize(maxBytes, sql, values);
  if (text === undefined) return (await conn.query<ResultSetHeader>(sql, values))[0];
  if (rows > 1) throw poison(`${rows} rows would make a statement of ${mib(text)}, more than the target's max_allowed_packet allows (${mib(maxBytes)})`);
  const unescaped = executeBytes(values);
  if (unescaped <= maxBytes) return (await conn.execute<ResultSetHeader>(sql, values))[0];
  throw poison(
    `the row takes ${mib(unescaped)} even as a prepared statement (${mib(text)} as SQL text), more than the target's max_allowed_packet allows ` +
      `(${mib(maxBytes)} per statement): raise max_allowed_packet on the target to write it`,
  );
}

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

export async function applyDeletes(conn: PoolConnection, dialect: Dialect, meta: TableMeta, rows: PreparedDelete[], counts: ApplyCounts, maxBytes: number): Promise<void> {
  const written: PreparedDelete[] = [];
  await splitOnPoison(
    rows,
    async (part) => {
      const values: SqlValue[] = [];
      for (const r of part) values.push(meta.name, ...r.key, r.deletedAt, r.origin);
      await send(conn, maxBytes, dialect.upsertTombstones(meta, part.length), values, part.length);
      written.push(...part);
    },
    counts,
    `recording the tombstone in ${meta.name}`,
  );
  if (written.length === 0) return;
  const [res] = await conn.query<ResultSetHeader>(dialect.deleteGuarded(meta, written.length), [meta.name, ...written.flatMap((r) => r.key)]);
  tally(counts, meta.name, res.affectedRows, written.length - res.affectedRows);
}

/** `origin`: the server id a row removed for a UNIQUE conflict is tombstoned with (Tandem's own). */
export async function applyUpserts(conn: PoolConnection, dialect: Dialect, meta: TableMeta, rows: PreparedUpsert[], counts: ApplyCounts, maxBytes: number, origin: number): Promise<void> {
  // Locking read: a concurrent application delete (its trigger writes the tombstone) waits for
  // this transaction or deadlocks with it (retried); it can never slip in between.
  const lockValues = dialect.lockTombstoneValues(meta, meta.name, rows.map((r) => r.key));
  const [locked] = await conn.query<RowDataPacket[]>(dialect.lockTombstones(meta, rows.length), lockValues);
  const buried = new Set<number>();
  for (const t of locked) {
    const i = Number(t.i);
    if (LocalDateTime.parse(String(t.deleted_at)).epochMicros >= rows[i].version) buried.add(i);
  }
  tally(counts, meta.name, 0, buried.size);
  const live = buried.size ? rows.filter((_, i) => !buried.has(i)) : rows;
  if (live.length === 0) return;
  const write = (part: PreparedUpsert[]) =>
    splitOnPoison(
      part,
      async (p) => {
        const res = await send(conn, maxBytes, upsertSql(dialect, meta, p.length), upsertValues(p), p.length);
        const changed = changedRows(res, p.length);
        tally(counts, meta.name, changed, p.length - changed);
      },
      counts,
      `writing to ${meta.name}`,
    );
  if (!meta.uniqueKeys?.length) return write(live);
  // A multi-row upsert could write one key's data into the row of another key holding the same
  // UNIQUE value: one row at a time, each after its probe (unique-keys.ts).
  for (const r of live) await upsertWithUniqueKeys(conn, dialect, meta, r, counts, () => write([r]), origin);
}

function upsertValues(rows: PreparedUpsert[]): SqlValue[] {
  const values: SqlValue[] = [];
  for (const r of rows) for (const v of r.values) values.push(v);
  return values;
}

/**
 * The whole flush as one multi-statement round trip inside one transaction (the common case: no
 * poison, no tombstone refusing a row). Resolves `true` once committed, with the counts added to
 * each chunk; `false` when it was rolled back, or not sent, and the flush must be applied
 * statement by statement (a tombstone refuses a row, a row is poison, the whole text would be
 * larger than `maxBytes`, the dialect or connection cannot). Retriable errors are thrown, like
 * those of the statement-by-statement path.
 */
export async function applyInOneTrip(conn: PoolConnection, dialect: Dialect, planned: PlannedChunk[], maxBytes: number): Promise<boolean> {
  const oneTrip = dialect.oneTrip;
  if (!oneTrip || !conn.connection.config.multipleStatements) return false;
  const statements: string[] = [SQL.begin];
  const values: SqlValue[] = [];
  // Per statement whose result counts: which chunk, and how to read its header.
  const readers: { at: number; read: (res: ResultSetHeader, counts: ApplyCounts) => void }[] = [];
  const add = (sql: string, bound: SqlValue[], read?: (res: ResultSetHeader, counts: ApplyCounts) => void) => {
    statements.push(sql);
    for (const v of bound) values.push(v);
    if (read) readers.push({ at: statements.length - 1, read });
  };
  const chunkOf: number[] = [];
  for (const [ci, chunk] of planned.entries()) {
    for (const { meta, upserts, deletes } of chunk.groups) {
      if (deletes.length) {
        const tombstones: SqlValue[] = [];
        for (const r of deletes) tombstones.push(meta.name, ...r.key, r.deletedAt, r.origin);
        add(dialect.upsertTombstones(meta, deletes.length), tombstones);
        add(dialect.deleteGuarded(meta, deletes.length), [meta.name, ...deletes.flatMap((r) => r.key)], (res, counts) => tally(counts, meta.name, res.affectedRows, deletes.length - res.affectedRows));
        chunkOf[statements.length - 1] = ci;
      }
      if (upserts.length) {
        const guard = oneTrip.tombstoneGuard(meta);
        if (guard === undefined || meta.uniqueKeys?.length) return false;
        // The version as bound for the upsert when it is already the 6-digit literal (the usual case).
        const at = meta.insertColumns.indexOf(meta.version);
        const versions = upserts.map((r) => {
          const bound = r.values[at];
          return { key: r.key, version: typeof bound === 'string' && bound.length === 26 ? bound : new LocalDateTime(r.version, 6).toString() };
        });
        add(guard, oneTrip.tombstoneGuardValues(meta.name, versions));
        add(oneTrip.refuseIfBuried, []);
        add(upsertSql(dialect, meta, upserts.length), upsertValues(upserts), (res, counts) => {
          const changed = changedRows(res, upserts.length);
          tally(counts, meta.name, changed, upserts.length - changed);
        });
        chunkOf[statements.length - 1] = ci;
      }
    }
  }
  statements.push(SQL.commit);
  const text = statements.join(';\n');
  // Too large as one text: the statements one by one are smaller (and split further if need be).
  if (oversize(maxBytes, text, values) !== undefined) return false;
  let results: ResultSetHeader[];
  try {
    [results] = await conn.query<ResultSetHeader[]>(text, values);
  } catch (err) {
    if (isConnectionError(err)) throw err;
    // The batch stopped at the failing statement, before COMMIT: nothing of the flush stays.
    await conn.query(SQL.rollback);
    const errno = (err as { errno?: unknown }).errno;
    if (errno !== REFUSED_BY_TOMBSTONE && kindOfMysqlError(err) === 'retriable') throw err;
    return false;
  }
  for (const { at, read } of readers) read(results[at], planned[chunkOf[at]].counts);
  return true;
}
