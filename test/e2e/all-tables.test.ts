// Issue 13, new tables, through the live stack: with TANDEM_TABLES=* a table created on one side
// while `tandem run bidirectional` runs is created on the other, its triggers are installed on
// both (an update and a delete made on the other side come back), and its rows flow without a
// restart; a created table that cannot be synced (no primary key) is created on the other side
// too and reported once, its rows left alone (no dead letters); a renamed table keeps syncing
// under its new name; a dropped one is dropped on the other side.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { deadLettersFor, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const tag = randomBytes(3).toString('hex');
const T = `all_${tag}`;
const N = `allnopk_${tag}`;
const R = `all_${tag}_renamed`;

t.setTimeout(10 * 60_000);

const exists = async (db: Connection, table: string) =>
  ((await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]))[0][0].n as number) === 1;
const rows = async (db: Connection, table: string) =>
  JSON.stringify((await db.query<RowDataPacket[]>(`SELECT id, name FROM ${table} ORDER BY id`).catch(() => [[]]))[0]);
const triggers = async (db: Connection, table: string) =>
  ((await db.query<RowDataPacket[]>('SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? ORDER BY 1', [table]))[0]).map((r) => String(r.n));

t.test('TANDEM_TABLES=*: tables created, renamed and dropped while Tandem runs', async (t) => {
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  t.teardown(async () => {
    for (const db of [a, b]) {
      for (const name of [T, N, R]) await db.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
      await db.end();
    }
  });
  // The doctor's table checks are run by their own tests; here every table of the shared test
  // database would be checked, those of other tests included.
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: '*', TANDEM_DOCTOR: 'off' }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);
  await waitFor('the runtime to run', () => proc.running, 180_000);

  await t.test('a table created on a: created on b, triggers on both, rows both ways', async (t) => {
    await a.query(`CREATE TABLE ${T} (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    await a.query(`INSERT INTO ${T} VALUES (1, 'first, right after the CREATE', NOW(6))`);
    await waitFor('the table and its first row on b', async () => (await rows(b, T)) === (await rows(a, T)) && (await rows(b, T)).includes('first'), 90_000);
    t.pass('created on b with its row');
    await waitFor('triggers on both sides', async () => (await triggers(a, T)).length === 3 && (await triggers(b, T)).length === 3, 30_000);
    t.same(await triggers(b, T), [`tandem_${T}_bd`, `tandem_${T}_bi`, `tandem_${T}_bu`].sort(), "Tandem's three triggers");
    await b.query(`INSERT INTO ${T} VALUES (2, 'born on b', NOW(6)), (3, 'to delete', NOW(6))`);
    await b.query(`UPDATE ${T} SET name = 'edited on b', updated_at = NOW(6) WHERE id = 1`);
    await b.query(`DELETE FROM ${T} WHERE id = 3`);
    await waitFor('b\'s insert, update and delete on a', async () => (await rows(a, T)) === JSON.stringify([{ id: 1, name: 'edited on b' }, { id: 2, name: 'born on b' }]), 60_000);
    t.pass('an insert, an update and a delete made on b came back to a');
  });

  await t.test('a table without a primary key: created on the other side, reported once, rows left alone', async (t) => {
    await b.query(`CREATE TABLE ${N} (note VARCHAR(20))`);
    await waitFor('it on a', () => exists(a, N), 60_000);
    await b.query(`INSERT INTO ${N} VALUES ('stays on b')`);
    await waitFor('the report', () => proc.logs.some((l) => String(l.msg).includes(`table ${N} exists on both sides`) && String(l.msg).includes('no primary key')), 30_000);
    // A row of a later table crossing shows the lane went past the no-key table's row.
    await a.query(`INSERT INTO ${T} VALUES (4, 'after the no-key row', NOW(6))`);
    await waitFor('a later row', async () => (await rows(b, T)).includes('after the no-key row'), 60_000);
    const [[{ n }]] = (await a.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${N}`)) as unknown as [[{ n: number }]];
    t.equal(Number(n), 0, 'its row was not written on a');
    t.equal(proc.logs.filter((l) => String(l.msg).includes(`table ${N} exists on both sides`)).length, 1, 'reported once');
    t.same(deadLettersFor(proc, N), [], 'no dead letters');
  });

  await t.test('renamed on a: renamed on b, rows flow under the new name; dropped on b: dropped on a', async (t) => {
    await a.query(`RENAME TABLE ${T} TO ${R}`);
    await waitFor('the rename on b', async () => (await exists(b, R)) && !(await exists(b, T)), 60_000);
    await b.query(`INSERT INTO ${R} VALUES (5, 'after the rename', NOW(6))`);
    await waitFor('the new name\'s row on a', async () => (await rows(a, R)).includes('after the rename'), 60_000);
    t.same(await triggers(a, R), [`tandem_${R}_bd`, `tandem_${R}_bi`, `tandem_${R}_bu`].sort(), "the renamed table's triggers carry its new name");
    await b.query(`DELETE FROM ${R} WHERE id = 2`);
    await waitFor('a delete under the new name on a', async () => !(await rows(a, R)).includes('born on b'), 60_000);
    await b.query(`DROP TABLE ${R}`);
    await waitFor('the drop on a', async () => !(await exists(a, R)), 60_000);
    t.same([...deadLettersFor(proc, T), ...deadLettersFor(proc, R)], [], 'no dead letters');
  });
});
