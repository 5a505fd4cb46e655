// The one-trip tombstone guard reads the batch's keys through JSON_TABLE. A text key column there
// must keep its own character set: with the database default (latin1 here) 😀 would become ?,
// the guard would miss the tombstone, and a late update would resurrect a deleted row.
import t from 'tap';
import type { Sink } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

t.test('a text key travels in JSON_TABLE with its own character set, not the database default', async (t) => {
  await db.admin.query('ALTER DATABASE chat CHARACTER SET latin1 COLLATE latin1_swedish_ci');
  const name = uniqueTable('charset');
  await db.admin.query(`CREATE TABLE chat.${name} (k VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['k'] } }, lingerMs: 1, tombstoneRetentionMs: 100 * 365 * 86_400_000 });
  sinks.push(sink);
  await db.admin.query(`INSERT INTO chat.${name} VALUES ('😀 ok', '2024-01-01 00:00:01')`);
  await db.admin.query(`DELETE FROM chat.${name}`);
  t.same(await rows(db.admin, 'SELECT pk FROM chat.tandem_tombstones WHERE tbl = ?', [name]), [{ pk: '["😀 ok"]' }]);
  t.same(
    await sink.write([upsert(name, { k: '😀 ok', updated_at: ts('2024-01-01 00:00:02') }, { key: ['k'] })]),
    { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } },
    'the late update is refused: the guard found the tombstone (the key did not become "? ok")',
  );
  t.same(await rows(db.admin, `SELECT COUNT(*) AS n FROM chat.${name}`), [{ n: 0 }]);
});
