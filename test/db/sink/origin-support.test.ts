import t from 'tap';
import type { ResultSetHeader } from 'mysql2/promise';
import type { Sink } from '../../../lib/model';
import { installOriginSupport, mysqlSink, uninstallOriginSupport } from '../../../lib/sink';
import { binlogPosition, rowEventsSince, rows, testDb, ts, uniqueTable, upsert, waitFor, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
const CENTURY_MS = 100 * 365 * 86_400_000;

t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

async function syncedTable(prefix: string): Promise<{ name: string; sink: Sink }> {
  const name = uniqueTable(prefix);
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 1, tombstoneRetentionMs: CENTURY_MS });
  sinks.push(sink);
  return { name, sink };
}

const triggersOf = async (name: string) =>
  (await rows(db.admin, "SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = 'chat' AND EVENT_OBJECT_TABLE = ? ORDER BY 1", [name])).map((r) => r.n);

t.test('install and uninstall are idempotent', async (t) => {
  const { name } = await syncedTable('inst');
  await installOriginSupport(db.url, [name]);
  t.same(await triggersOf(name), [`tandem_${name}_bd`, `tandem_${name}_bi`, `tandem_${name}_bu`]);
  const other = uniqueTable('inst2');
  await db.admin.query(`CREATE TABLE chat.${other} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [other]);
  await uninstallOriginSupport(db.url, [other], { keepTombstones: true });
  await uninstallOriginSupport(db.url, [other], { keepTombstones: true });
  t.same(await triggersOf(other), []);
  t.same(await triggersOf(name), [`tandem_${name}_bd`, `tandem_${name}_bi`, `tandem_${name}_bu`], 'other tables keep theirs');
  const [tomb] = await rows(db.admin, "SELECT COUNT(*) AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'chat' AND TABLE_NAME = 'tandem_tombstones'");
  t.equal(Number(tomb.c), 1, 'keepTombstones keeps the table');
});

t.test('teardown of one table keeps tandem_tombstones while other tables\' triggers still write to it', async (t) => {
  const { name } = await syncedTable('keep');
  await installOriginSupport(db.url, [name]);
  const other = uniqueTable('keep2');
  await db.admin.query(`CREATE TABLE chat.${other} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [other]);
  const tombstones = async () => Number((await rows(db.admin, "SELECT COUNT(*) AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'chat' AND TABLE_NAME = 'tandem_tombstones'"))[0].c);
  const kept = await uninstallOriginSupport(db.url, [other]);
  t.ok(kept.tombstonesKeptFor.includes(name), `kept for ${kept.tombstonesKeptFor.join(', ')}`);
  t.equal(await tombstones(), 1, 'the table the other triggers write to stays');
  await installOriginSupport(db.url, [other]);
});

t.test('an application update of a replicated row carries the server own id', async (t) => {
  const { name, sink } = await syncedTable('appupd');
  const app = await db.connect();
  const from = await binlogPosition(db.admin);
  await sink.write([upsert(name, { id: 1, body: 'from a', updated_at: ts('2024-01-01 00:00:01') })]);
  await app.query(`UPDATE ${name} SET body = 'local', updated_at = '2024-01-01 00:00:02' WHERE id = 1`);
  await app.query(`DELETE FROM ${name} WHERE id = 1`);
  const events = (await rowEventsSince(db.admin, from)).map((e) => `${e.type} ${e.serverId} ${e.info.replace('chat.', '')}`);
  t.same(events, [
    `Write_rows 4100 ${name}`,
    `Update_rows ${db.serverId} ${name}`,
    `Write_rows ${db.serverId} tandem_tombstones`,
    `Delete_rows ${db.serverId} ${name}`,
  ]);
  const [tomb] = await rows(db.admin, 'SELECT pk, deleted_at > ? AS after_row, origin FROM chat.tandem_tombstones WHERE tbl = ?', ['2024-01-01 00:00:02', name]);
  t.same(tomb, { pk: '[1]', after_row: 1, origin: db.serverId }, 'the delete trigger recorded a tombstone newer than the row');
});

t.test('local writes always win locally', async (t) => {
  const { name, sink } = await syncedTable('local');
  const app = await db.connect();
  await sink.write([upsert(name, { id: 1, body: 'replicated', updated_at: ts('2030-01-01 00:00:05') })]);
  await app.query(`UPDATE ${name} SET body = 'app', updated_at = '2024-01-01 00:00:00' WHERE id = 1`);
  t.same(await rows(app, `SELECT body, updated_at FROM ${name}`), [{ body: 'app', updated_at: '2030-01-01 00:00:05.000001' }], 'older local update moved 1µs past the stored version');
  // A touch that only sets an older updated_at is moved forward too (never back in time)...
  await app.query(`UPDATE ${name} SET updated_at = '2024-01-01 00:00:00' WHERE id = 1`);
  t.same(await rows(app, `SELECT body, updated_at FROM ${name}`), [{ body: 'app', updated_at: '2030-01-01 00:00:05.000002' }]);
  // ...and so is one that leaves it as it is: every application update is a change to replicate.
  const [res] = await app.query<ResultSetHeader>(`UPDATE ${name} SET updated_at = '2030-01-01 00:00:05.000002' WHERE id = 1`);
  t.equal(res.changedRows, 1, 'moved 1µs forward');
  t.same(await rows(app, `SELECT updated_at FROM ${name} WHERE id = 1`), [{ updated_at: '2030-01-01 00:00:05.000003' }]);
  // A tombstone newer than a local insert: the insert is moved past it.
  await app.query("INSERT INTO tandem_tombstones (tbl, pk, deleted_at, origin) VALUES (?, '[2]', '2030-01-01 00:00:07', 99)", [name]);
  await app.query(`INSERT INTO ${name} VALUES (2, 'again', '2024-01-01 00:00:00')`);
  t.same(await rows(app, `SELECT updated_at FROM ${name} WHERE id = 2`), [{ updated_at: '2030-01-01 00:00:07.000001' }]);
});

t.test("Tandem's no-ops stay silent with the triggers installed; the application's updates all count", async (t) => {
  const { name, sink } = await syncedTable('silent');
  const app = await db.connect();
  const e = upsert(name, { id: 1, body: 'x', updated_at: ts('2024-01-01 00:00:01') });
  await sink.write([e]);
  const before = await binlogPosition(db.admin);
  t.same(await sink.write([e]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'the echo is a no-op');
  t.equal(await binlogPosition(db.admin), before, 'the echo logs no event');
  await app.query(`UPDATE ${name} SET body = body WHERE id = 1`);
  t.same((await rowEventsSince(db.admin, before)).map((ev) => `${ev.type} ${ev.serverId}`), [`Update_rows ${db.serverId}`], "an application update that writes the same value is a change (its version moved), under the server's id");
});

/** The sink's upsert is running while the application holds the row lock: it can only wait. */
async function waitForSinkStatement(table: string): Promise<void> {
  await waitFor(`the sink's upsert into ${table} to be running`, async () => {
    const r = await rows(db.admin, "SELECT COUNT(*) AS c FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE ?", [`INSERT INTO \`${table}\`%`]);
    return Number(r[0].c) > 0 ? true : undefined;
  });
}

for (const [label, appAt, sinkAt, winner] of [
  ['the local write is newer', '2024-01-01 00:00:03', '2024-01-01 00:00:02', 'app'],
  ['the sink write is newer', '2024-01-01 00:00:02', '2024-01-01 00:00:03', 'sink'],
] as const) {
  t.test(`concurrent local write vs sink write: ${label}`, async (t) => {
    const { name, sink } = await syncedTable('race');
    const app = await db.connect();
    await app.query(`INSERT INTO ${name} VALUES (1, 'start', '2024-01-01 00:00:01')`);
    await app.query('START TRANSACTION');
    await app.query(`UPDATE ${name} SET body = 'app', updated_at = ? WHERE id = 1`, [appAt]);
    const pending = sink.write([upsert(name, { id: 1, body: 'sink', updated_at: ts(sinkAt) })]);
    await waitForSinkStatement(name);
    await app.query('COMMIT');
    const res = await pending;
    t.equal(res.applied, winner === 'sink' ? 1 : 0);
    t.same(await rows(app, `SELECT body, updated_at FROM ${name}`), [{ body: winner, updated_at: `${winner === 'app' ? appAt : sinkAt}.000000` }]);
  });
}
