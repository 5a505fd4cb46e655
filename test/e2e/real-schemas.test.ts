// Issue 11 through the live stack: schemas real chat services have, synced by `tandem run
// bidirectional` (doctor included at its start): two masters claiming one UNIQUE email at once, a
// primary-key change, Snowflake ids beyond 2^53, AUTO_INCREMENT inserts on both masters at once,
// and a room deleted with ON DELETE CASCADE members and ON DELETE SET NULL messages. After each,
// both sides hold the same rows, and verify finds no difference in any of the tables.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createConnection, type Connection } from 'mysql2/promise';
import { findRecord } from '../../lib/stack';
import { parseTables, type TableSpec } from '../../lib/config';
import { checkTombstones, formatReport, waitUntilConverged } from '../../lib/verify';
import { all, brokers, one, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor, type RuntimeProcess } from './fixtures/runtime';

const tag = randomBytes(3).toString('hex');
const T = { users: `rs_users_${tag}`, items: `rs_items_${tag}`, auto: `rs_auto_${tag}`, rooms: `rs_rooms_${tag}`, members: `rs_members_${tag}`, msgs: `rs_msgs_${tag}` };
const TABLES = `${T.users},${T.items},${T.auto},${T.rooms},${T.members}:room_id+user_id,${T.msgs}`;
const AUDIT = `tandem.audit.${tag}`;

t.setTimeout(10 * 60_000);

t.test('real schemas converge through the live stack', async (t) => {
  // BIGINTs as text: the test compares ids beyond 2^53 exactly.
  const a = await createConnection({ uri: urlA, supportBigNumbers: true, bigNumberStrings: true });
  const b = await createConnection({ uri: urlB, supportBigNumbers: true, bigNumberStrings: true });
  t.teardown(async () => {
    for (const db of [a, b]) {
      for (const name of [T.msgs, T.members, T.rooms, T.auto, T.items, T.users]) await db.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
      await db.end();
    }
  });
  for (const db of [a, b]) {
    await db.query(`CREATE TABLE ${T.users} (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL, UNIQUE KEY uq_email (email))`);
    await db.query(`CREATE TABLE ${T.items} (id BIGINT UNSIGNED PRIMARY KEY, body VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    await db.query(`CREATE TABLE ${T.auto} (id BIGINT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    await db.query(`CREATE TABLE ${T.rooms} (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    await db.query(
      `CREATE TABLE ${T.members} (room_id BIGINT NOT NULL, user_id BIGINT NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room_id, user_id), ` +
        `FOREIGN KEY (room_id) REFERENCES ${T.rooms} (id) ON DELETE CASCADE)`,
    );
    await db.query(`CREATE TABLE ${T.msgs} (id BIGINT PRIMARY KEY, room_id BIGINT NULL, body VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL, FOREIGN KEY (room_id) REFERENCES ${T.rooms} (id) ON DELETE SET NULL)`);
  }
  const env = runtimeEnv({ TANDEM_TABLES: TABLES, TANDEM_AUDIT_TOPIC: AUDIT, TANDEM_STATUS_EVERY_MS: '500' });
  let proc: RuntimeProcess = startRuntime(env);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);
  await waitFor('the runtime to run (doctor passed)', () => proc.running, 180_000);
  const restart = async () => {
    await stopRuntime(proc, 'SIGTERM');
    proc = startRuntime(env);
    showLogsOnFailure(t, proc);
    await waitFor('the runtime to run again', () => proc.running, 180_000);
  };
  const rowsOf = (db: Connection, table: string, order = 'id') => all(db, `SELECT * FROM ${table} ORDER BY ${order}`);
  const same = async (table: string, what: string, order = 'id') => {
    await waitFor(`${table} identical on both sides (${what})`, async () => JSON.stringify(await rowsOf(a, table, order)) === JSON.stringify(await rowsOf(b, table, order)), 120_000);
    return rowsOf(a, table, order);
  };

  await t.test('1. two masters insert users with the same UNIQUE email at once: the newer keeps it on both sides, the loser is audited', async (t) => {
    // "At once": neither side has seen the other's row when it inserts.
    await stopRuntime(proc, 'SIGTERM');
    await a.query(`INSERT INTO ${T.users} VALUES (1, 'e@chat.example', 'alice', '2030-01-01 00:00:01')`);
    await b.query(`INSERT INTO ${T.users} VALUES (2, 'E@chat.example', 'bob', '2030-01-01 00:00:02')`);
    proc = startRuntime(env);
    showLogsOnFailure(t, proc);
    const rows = await same(T.users, 'unique clash');
    t.same(rows.map((r) => [Number(r.id), r.name]), [[2, 'bob']], 'bob (newer) keeps the email on both sides; alice is removed on both');
    const audit = await findRecord(brokers, AUDIT, (r) => (r.value?.toString() ?? '').includes('"index":"uq_email"'), 60_000);
    const value = JSON.parse(audit.value?.toString() ?? '{}') as { table: string; key: { id: unknown }; winner: { row: { name: string } }; loser: { row: { name: string } } };
    t.same([value.table, String(value.key.id), value.winner.row.name, value.loser.row.name], [T.users, '1', 'bob', 'alice'], 'the conflict audit has both rows and the index');
  });

  await t.test('2. a primary-key change on a: b does not keep the old key', async (t) => {
    await a.query(`INSERT INTO ${T.items} VALUES (100, 'moving', NOW(6))`);
    await waitFor('item 100 on b', async () => (await one(b, `SELECT id FROM ${T.items} WHERE id = 100`)) !== undefined);
    await a.query(`UPDATE ${T.items} SET id = 101 WHERE id = 100`);
    const rows = await same(T.items, 'key change');
    t.same(rows.map((r) => String(r.id)), ['101']);
  });

  await t.test('3. Snowflake ids beyond 2^53: insert, update and delete each name the exact row', async (t) => {
    const near = '9007199254740992';
    const next = '9007199254740993';
    await a.query(`INSERT INTO ${T.items} VALUES (${near}, 'neighbour', NOW(6)), (${next}, 'snowflake', NOW(6)), (18446744073709551615, 'max', NOW(6))`);
    await waitFor('the three on b', async () => Number((await one(b, `SELECT COUNT(*) AS n FROM ${T.items} WHERE id >= ${near}`))?.n) === 3);
    await b.query(`UPDATE ${T.items} SET body = 'edited on b', updated_at = NOW(6) WHERE id = ${next}`);
    await waitFor('the update on a', async () => (await one(a, `SELECT body FROM ${T.items} WHERE id = ${next}`))?.body === 'edited on b');
    await a.query(`DELETE FROM ${T.items} WHERE id = ${next}`);
    const rows = await same(T.items, 'bigint delete');
    t.same(rows.map((r) => `${r.id} ${r.body}`), ['101 moving', `${near} neighbour`, '18446744073709551615 max'], 'only 2^53+1 is gone, on both sides');
  });

  await t.test('5. AUTO_INCREMENT inserts on both masters at once: two rows, two ids, on both sides', async (t) => {
    await stopRuntime(proc, 'SIGTERM');
    await a.query(`INSERT INTO ${T.auto} (body, updated_at) VALUES ('from a', NOW(6))`);
    await b.query(`INSERT INTO ${T.auto} (body, updated_at) VALUES ('from b', NOW(6))`);
    proc = startRuntime(env);
    showLogsOnFailure(t, proc);
    const rows = await same(T.auto, 'auto increment');
    t.same(rows.map((r) => r.body).sort(), ['from a', 'from b'], 'no row lost');
    t.equal(new Set(rows.map((r) => String(r.id))).size, 2, `disjoint ids (${rows.map((r) => r.id).join(', ')})`);
  });

  await t.test('10. a room deleted on a: its CASCADE members and SET NULL messages follow on b', async (t) => {
    await a.query(`INSERT INTO ${T.rooms} VALUES (1, 'general', NOW(6)), (2, 'random', NOW(6))`);
    await a.query(`INSERT INTO ${T.members} VALUES (1, 10, NOW(6)), (1, 11, NOW(6)), (2, 10, NOW(6))`);
    await a.query(`INSERT INTO ${T.msgs} VALUES (1, 1, 'hi', NOW(6)), (2, 2, 'yo', NOW(6))`);
    await same(T.members, 'members crossed', 'room_id, user_id');
    await same(T.msgs, 'messages crossed');
    await a.query(`DELETE FROM ${T.rooms} WHERE id = 1`);
    t.same((await same(T.rooms, 'room delete')).map((r) => Number(r.id)), [2]);
    t.same((await same(T.members, 'cascade', 'room_id, user_id')).map((r) => [Number(r.room_id), Number(r.user_id)]), [[2, 10]], 'the members of room 1 are gone on both sides');
    t.same((await same(T.msgs, 'set null')).map((r) => [Number(r.id), r.room_id === null ? null : Number(r.room_id)]), [[1, null], [2, 2]], 'its message keeps no room on both sides');
  });

  await t.test('verify: no difference in any of the tables', async (t) => {
    await restart(); // a clean stop and start in between changes nothing
    const r = await waitUntilConverged({ a: urlA, b: urlB, tables: Object.values(T), timeoutMs: 120_000, intervalMs: 2000 });
    t.ok(r.report.ok, 'identical') || t.comment(formatReport(r.report));
    // Tombstones too: both sides remember each removal alike (the UNIQUE loser's included).
    const tombs = await checkTombstones(urlA, urlB, parseTables(TABLES) as TableSpec[]);
    const ours = tombs.notDominated.filter((d) => Object.values(T).includes(String(d.key.tbl)));
    t.same(ours, [], 'no tombstone of these tables differs');
    t.same(proc.logs.filter((l) => l.msg === 'dead-lettered'), [], 'nothing dead-lettered');
  });
});
