// The retention purge: one cycle removes every tombstone older than the server's clock minus
// the retention, however many, in short chunks; it reads the clock of the zone the triggers
// write in; it never waits for a lock a writer holds; and a flush waits for one chunk at most.
import t from 'tap';
import type { Pool } from 'mysql2/promise';
import type { Sink } from '../../../lib/model';
import { createLogger } from '../../../lib/observe';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { createSinkPool, tandemSessions } from '../../../lib/sink/connection';
import { TombstonePurge } from '../../../lib/sink/tombstone-purge';
import { rows, testDb, ts, uniqueTable, upsert, waitFor, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
const pools: Pool[] = [];
const HOUR_MS = 3_600_000;
const log = createLogger({ component: 'purge-test', level: 'warn' });

t.before(async () => {
  db = await testDb(t);
  await installOriginSupport(db.url, []);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
  for (const p of pools) await p.end();
});

function purgeOf(retentionMs: number, poolSize = 2): TombstonePurge {
  const pool = createSinkPool(db.url, poolSize);
  pools.push(pool);
  return new TombstonePurge({ sessions: tandemSessions(pool, { serverId: 4100, gtidDomainId: 4100 }), retentionMs, log });
}

/** `n` tombstones of table `tbl` deleted `ago` (intervals: `- INTERVAL 8 DAY`) from the server's NOW(6). */
async function tombstones(tbl: string, n: number, ago: string): Promise<void> {
  // INSERT ... SELECT checks NOT NULL before the key trigger runs: give pk_hash a value it replaces.
  await db.admin.query(
    `INSERT INTO chat.tandem_tombstones (tbl, pk_hash, pk, deleted_at, origin) SELECT ?, '', CONCAT('[', seq, ']'), NOW(6) ${ago}, 11 FROM chat.seq_1_to_${n}`,
    [tbl],
  );
}
const left = async (tbl: string) => Number((await rows(db.admin, 'SELECT COUNT(*) AS n FROM chat.tandem_tombstones WHERE tbl = ?', [tbl]))[0].n);

t.test('one cycle removes all 50,000 expired tombstones, in chunks, and keeps the newer ones', async (t) => {
  await tombstones('old', 50_000, '- INTERVAL 8 DAY');
  await tombstones('edge_old', 10, '- INTERVAL 7 DAY - INTERVAL 1 MINUTE');
  await tombstones('edge_new', 10, '- INTERVAL 7 DAY + INTERVAL 1 MINUTE');
  await tombstones('new', 100, '- INTERVAL 1 HOUR');
  const t0 = Date.now();
  const cycle = await purgeOf(7 * 24 * HOUR_MS).runOnce();
  t.equal(cycle.deleted, 50_010, `deleted in ${Date.now() - t0} ms`);
  t.equal(cycle.chunks, 51, 'chunks of 1000 rows, the last one short');
  t.same([await left('old'), await left('edge_old'), await left('edge_new'), await left('new')], [0, 0, 10, 100], 'only those older than the retention went');
});

t.test("the cutoff is the server's clock in the zone the triggers write deleted_at in", async (t) => {
  // Applications' sessions take the server's global zone; the sink's session runs in +00:00.
  await db.admin.query("SET GLOBAL time_zone = '-05:00'");
  t.teardown(() => db.admin.query("SET GLOBAL time_zone = 'SYSTEM'"));
  const items = uniqueTable('zone');
  await db.admin.query(`CREATE TABLE chat.${items} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [items]);
  const app = await db.connect();
  await app.query(`INSERT INTO ${items} VALUES (1, NOW(6)), (2, NOW(6))`);
  await app.query(`DELETE FROM ${items} WHERE id IN (1, 2)`);
  // Row 2's delete moved two hours back, as if the trigger had written it then.
  await app.query("UPDATE tandem_tombstones SET deleted_at = NOW(6) - INTERVAL 2 HOUR WHERE tbl = ? AND pk = '[2]'", [items]);
  const cycle = await purgeOf(HOUR_MS).runOnce();
  t.same(
    (await rows(db.admin, 'SELECT pk FROM chat.tandem_tombstones WHERE tbl = ?', [items])).map((r) => r.pk),
    ['[1]'],
    `the fresh delete stays (in UTC it would look 5 hours old), the 2-hour-old one goes (cutoff ${cycle.cutoff})`,
  );
});

t.test('the purge never waits for a tombstone a writer holds, and leaves it for the next cycle', async (t) => {
  await tombstones('held', 3000, '- INTERVAL 8 DAY');
  const items = uniqueTable('held');
  await db.admin.query(`CREATE TABLE chat.${items} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [items]);
  await db.admin.query("INSERT INTO chat.tandem_tombstones (tbl, pk, deleted_at, origin) VALUES (?, '[1]', NOW(6) - INTERVAL 8 DAY, 11)", [items]);
  // The application re-created row 1 and deletes it again, in a transaction still open: its
  // trigger holds the old tombstone's lock.
  const app = await db.connect();
  await app.query(`INSERT INTO ${items} VALUES (1, NOW(6))`);
  await app.query('START TRANSACTION');
  await app.query(`DELETE FROM ${items} WHERE id = 1`);
  const t0 = Date.now();
  const cycle = await purgeOf(7 * 24 * HOUR_MS).runOnce();
  t.ok(Date.now() - t0 < 10_000, `the cycle did not wait for the lock (${Date.now() - t0} ms)`);
  t.equal(cycle.deleted, 3000, 'every other expired tombstone went');
  await app.query('COMMIT');
  t.same(await rows(db.admin, 'SELECT deleted_at > NOW(6) - INTERVAL 1 HOUR AS fresh FROM chat.tandem_tombstones WHERE tbl = ?', [items]), [{ fresh: 1 }], 'the application delete committed its new tombstone');
});

t.test('the sink purges after its flushes, and a flush waits for one chunk at most', async (t) => {
  await tombstones('bulk', 50_000, '- INTERVAL 8 DAY');
  const items = uniqueTable('flush');
  await db.admin.query(`CREATE TABLE chat.${items} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [items]);
  // One connection for the flushes and the purge's chunks alike.
  const sink = mysqlSink({ url: db.url, tables: { [items]: { primaryKey: ['id'] } }, lingerMs: 1, poolSize: 1, tombstoneRetentionMs: 7 * 24 * HOUR_MS, logger: log });
  sinks.push(sink);
  await sink.write([upsert(items, { id: 1, updated_at: ts('2024-01-01 00:00:01') })]);
  // The first flush started a purge cycle of 50 chunks; the next flush gets in between two.
  const t0 = Date.now();
  await sink.write([upsert(items, { id: 2, updated_at: ts('2024-01-01 00:00:01') })]);
  const latency = Date.now() - t0;
  const remaining = await left('bulk');
  t.ok(remaining > 0, `the flush (${latency} ms) did not wait for the whole cycle (${remaining} tombstones still to purge)`);
  await waitFor('the purge to finish', async () => ((await left('bulk')) === 0 ? true : undefined), 60_000);
  t.pass('the cycle went on to remove all 50,000');
});
