// The one-round-trip flush (apply.ts applyInOneTrip): used when no tombstone refuses a row and
// no row is poison; otherwise rolled back whole, so the statement-by-statement path redoes it.
import t, { type Test } from 'tap';
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { applyInOneTrip, type PlannedChunk } from '../../../lib/sink/apply';
import { createSinkPool } from '../../../lib/sink/connection';
import { mariadbDialect, mysql8Dialect } from '../../../lib/sink/dialect';
import { prepare, type PreparedDelete, type PreparedUpsert } from '../../../lib/sink/prepare';
import { readTableMeta, type TableMeta } from '../../../lib/sink/table-meta';
import { installOriginSupport } from '../../../lib/sink';
import { binlogPosition, del, rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
/** Statement bytes allowed: far below the server's max_allowed_packet (16 MiB by default). */
const LIMIT = 1024 * 1024;
t.before(async () => {
  db = await testDb(t);
});

async function table(conn: PoolConnection): Promise<{ name: string; meta: TableMeta }> {
  const name = uniqueTable('onetrip');
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(5) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  return { name, meta: await readTableMeta(conn, name, 'updated_at') };
}

function chunk(meta: TableMeta, upserts: [number, string, string][], deletes: [number, string][] = []): PlannedChunk {
  const ok = <T>(p: T | { reason: string }): T => {
    if (typeof p === 'object' && p !== null && 'reason' in p) throw new Error(p.reason);
    return p;
  };
  return {
    counts: { applied: 0, skipped: 0, deadLetters: [] },
    groups: [
      {
        meta,
        upserts: upserts.map(([id, body, at]) => ok(prepare(meta, upsert(meta.name, { id, body, updated_at: ts(at) }))) as PreparedUpsert),
        deletes: deletes.map(([id, at]) => ok(prepare(meta, del(meta.name, { id }, at))) as PreparedDelete),
      },
    ],
  };
}

/** A connection of a sink pool in a Tandem session's state; released and closed at teardown. */
async function sinkConnection(t: Test): Promise<PoolConnection> {
  const pool = createSinkPool(db.url, 1, { multipleStatements: true });
  t.teardown(() => pool.end());
  const conn = await pool.getConnection();
  t.teardown(() => conn.release());
  await conn.query('SET @tandem_apply = 1');
  return conn;
}

const contents = async (name: string) => (await rows(db.admin, `SELECT id, body FROM chat.${name} ORDER BY id`)).map((r) => [r.id, r.body]);

t.test('one round trip: several chunks, deletes and upserts, exact counts per chunk', async (t) => {
  const conn = await sinkConnection(t);
  const { name, meta } = await table(conn);
  await db.admin.query(`INSERT INTO chat.${name} VALUES (1, 'old', '2024-01-01 00:00:01'), (2, 'keep', '2024-01-01 00:00:09')`);
  // A tombstone older than the incoming row does not refuse it.
  await db.admin.query(`INSERT INTO chat.tandem_tombstones (tbl, pk, deleted_at, origin) VALUES (?, '[5]', '2024-01-01 00:00:01', 7)`, [name]);
  const planned = [
    chunk(meta, [[1, 'new', '2024-01-01 00:00:02'], [2, 'lost', '2024-01-01 00:00:03'], [5, 'back', '2024-01-01 00:00:02']]),
    chunk(meta, [[6, 'six', '2024-01-01 00:00:02']], [[1, '2024-01-01 00:00:01.5']]),
  ];
  t.equal(await applyInOneTrip(conn, mariadbDialect, planned, LIMIT), true, 'committed in one trip');
  t.same(planned.map((p) => [p.counts.applied, p.counts.skipped]), [[2, 1], [1, 1]], 'per chunk: (update, insert | older), (insert | older delete)');
  t.same(await contents(name), [[1, 'new'], [2, 'keep'], [5, 'back'], [6, 'six']]);
  const [tomb] = await rows(db.admin, `SELECT deleted_at FROM chat.tandem_tombstones WHERE tbl = ? AND pk = '[1]'`, [name]);
  t.equal(tomb.deleted_at, '2024-01-01 00:00:01.500000', 'the older delete is still remembered');
});

t.test('a refusing tombstone or a poison row rolls the whole trip back', async (t) => {
  const conn = await sinkConnection(t);
  const { name, meta } = await table(conn);
  await db.admin.query(`INSERT INTO chat.tandem_tombstones (tbl, pk, deleted_at, origin) VALUES (?, '[3]', '2024-01-01 00:00:02', 7)`, [name]);
  const before = await binlogPosition(db.admin);
  const buried = [chunk(meta, [[1, 'a', '2024-01-01 00:00:02']]), chunk(meta, [[3, 'tie', '2024-01-01 00:00:02']])];
  t.equal(await applyInOneTrip(conn, mariadbDialect, buried, LIMIT), false, 'a tombstone at the same time refuses: fall back');
  const poison = [chunk(meta, [[1, 'a', '2024-01-01 00:00:02'], [2, 'too long', '2024-01-01 00:00:02']])];
  t.equal(await applyInOneTrip(conn, mariadbDialect, poison, LIMIT), false, 'data too long: fall back');
  t.same(await contents(name), [], 'nothing of either trip stays');
  t.equal(await binlogPosition(db.admin), before, 'nothing reached the binlog');
  t.same([...buried, ...poison].map((p) => [p.counts.applied, p.counts.skipped]), [[0, 0], [0, 0], [0, 0]], 'no counts from a rolled-back trip');
  const [open] = await conn.query<ResultSetHeader[]>('SELECT @@in_transaction AS t');
  t.same(open, [{ t: 0 }], 'the connection is left outside a transaction');
});

t.test('dialects without one-trip SQL take the statement-by-statement path', async (t) => {
  const conn = await sinkConnection(t);
  const { meta } = await table(conn);
  t.equal(await applyInOneTrip(conn, mysql8Dialect, [chunk(meta, [[1, 'a', '2024-01-01 00:00:02']])], LIMIT), false);
});

t.test('a flush whose text would be larger than the limit is not sent in one trip', async (t) => {
  const conn = await sinkConnection(t);
  const { name, meta } = await table(conn);
  const rowsOf = (n: number) => Array.from({ length: n }, (_, i): [number, string, string] => [i + 1, 'abc', '2024-01-01 00:00:01']);
  t.equal(await applyInOneTrip(conn, mariadbDialect, [chunk(meta, rowsOf(20))], 1000), false, 'over 1000 bytes: statement by statement instead');
  t.same(await contents(name), [], 'nothing was written');
  t.equal(await applyInOneTrip(conn, mariadbDialect, [chunk(meta, rowsOf(20))], LIMIT), true);
  t.equal((await contents(name)).length, 20);
});
