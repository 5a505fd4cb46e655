// Two different keys claiming one UNIQUE value, through the real sink on real MariaDB, both sides
// (two databases of one server, each with its triggers and tombstones, each written by its own
// sink as Tandem would): whatever the order the changes are applied in, both sides end with the
// same rows, the newer claim keeps the value, the older row is removed and tombstoned, nothing of
// one key is ever written into another key's row, and each conflict is in the audit.
import t from 'tap';
import type { Connection } from 'mysql2/promise';
import type { Sink } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { rows, testDb, ts, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

interface Side {
  name: string;
  sink: Sink;
  app: Connection;
}

let n = 0;
/** Two fresh databases with a `users` table (UNIQUE email, _ci collation), triggers, and a sink each. */
async function sides(): Promise<[Side, Side]> {
  n++;
  const out: Side[] = [];
  for (const s of ['a', 'b']) {
    const name = `uq${n}${s}`;
    await db.admin.query(`CREATE DATABASE ${name}`);
    await db.admin.query(
      `CREATE TABLE ${name}.users (id BIGINT PRIMARY KEY, email VARCHAR(100) COLLATE utf8mb4_unicode_ci NOT NULL, nick VARCHAR(50) NULL, updated_at DATETIME(6) NOT NULL, UNIQUE KEY uq_email (email))`,
    );
    const url = db.url.replace(/\/chat$/, `/${name}`);
    await installOriginSupport(url, ['users']);
    const sink = mysqlSink({ name: `mysql-${s}`, url, tables: { users: { primaryKey: ['id'] } }, lingerMs: 1, tombstoneRetentionMs: 100 * 365 * 86_400_000 });
    sinks.push(sink);
    out.push({ name, sink, app: await db.connect() });
  }
  return [out[0], out[1]];
}

const user = (id: number, email: string, nick: string, at: string) => upsert('users', { id, email, nick, updated_at: ts(at) }, { op: 'c', serverId: 11 });
const contents = async (side: Side) => (await rows(db.admin, `SELECT id, email, nick, CAST(updated_at AS CHAR) AS v FROM ${side.name}.users ORDER BY id`)).map((r) => `${r.id} ${r.email} ${r.nick} ${r.v}`);
const tombstones = async (side: Side) => (await rows(db.admin, `SELECT pk, CAST(deleted_at AS CHAR) AS at, origin FROM ${side.name}.tandem_tombstones WHERE tbl = 'users' ORDER BY pk`)).map((r) => `${r.pk}@${r.at} by ${r.origin}`);

t.test('both masters insert a user with the same email at once: the newer keeps it, on both sides, whatever the order', async (t) => {
  for (const order of ['a first', 'b first']) {
    const [a, b] = await sides();
    await a.app.query(`INSERT INTO ${a.name}.users VALUES (1, 'e@x.com', 'alice', '2024-01-01 00:00:01')`);
    await b.app.query(`INSERT INTO ${b.name}.users VALUES (2, 'E@x.com', 'bob', '2024-01-01 00:00:02')`);
    const toB = () => b.sink.write([user(1, 'e@x.com', 'alice', '2024-01-01 00:00:01')]);
    const toA = () => a.sink.write([user(2, 'E@x.com', 'bob', '2024-01-01 00:00:02')]);
    const [ra, rb] = order === 'a first' ? [await toA(), await toB()] : [await toB(), await toA()].reverse();
    t.same(await contents(a), ['2 E@x.com bob 2024-01-01 00:00:02.000000'], `${order}: a keeps only the newer claim`);
    t.same(await contents(b), await contents(a), `${order}: b is identical`);
    t.same(await tombstones(a), ['[1]@2024-01-01 00:00:01.000000 by 4100'], `${order}: the older row is tombstoned at its own version on a, by Tandem`);
    t.same(await tombstones(b), await tombstones(a), `${order}: the same tombstone on b (verify compares them)`);
    t.same(
      [...(ra.audits ?? []), ...(rb.audits ?? [])].map((x) => [x.stage, x.index, x.key, String(x.winner.after?.nick), String(x.loser.after?.nick)]),
      [
        ['mysql-a', 'uq_email', { id: 1 }, 'bob', 'alice'],
        ['mysql-b', 'uq_email', { id: 1 }, 'bob', 'alice'],
      ],
      `${order}: the loser is audited on each side, with the index`,
    );
  }
});

t.test('a value moved from one row to another, the two changes applied in the other order, converges', async (t) => {
  const [a, b] = await sides();
  for (const s of [a, b]) await s.app.query(`INSERT INTO ${s.name}.users VALUES (1, 'e@x.com', 'one', '2024-01-01 00:00:00'), (2, 'x@x.com', 'two', '2024-01-01 00:00:00')`);
  // On a: row 1 gives e up, then row 2 takes it.
  await a.app.query(`UPDATE ${a.name}.users SET email = 'f@x.com', updated_at = '2024-01-01 00:00:01' WHERE id = 1`);
  await a.app.query(`UPDATE ${a.name}.users SET email = 'e@x.com', updated_at = '2024-01-01 00:00:02' WHERE id = 2`);
  // b receives them the other way round (another partition, another batch).
  await b.sink.write([user(2, 'e@x.com', 'two', '2024-01-01 00:00:02')]);
  await b.sink.write([user(1, 'f@x.com', 'one', '2024-01-01 00:00:01')]);
  t.same(await contents(b), await contents(a), 'identical');
  t.same(await contents(a), ['1 f@x.com one 2024-01-01 00:00:01.000000', '2 e@x.com two 2024-01-01 00:00:02.000000']);
});

t.test('equal versions: the greater key keeps the value, the same on both sides; one batch with both claims too', async (t) => {
  const [a, b] = await sides();
  await a.sink.write([user(7, 'same@x.com', 'seven', '2024-01-01 00:00:05'), user(8, 'same@x.com', 'eight', '2024-01-01 00:00:05')]);
  await b.sink.write([user(8, 'same@x.com', 'eight', '2024-01-01 00:00:05')]);
  await b.sink.write([user(7, 'same@x.com', 'seven', '2024-01-01 00:00:05')]);
  t.same(await contents(a), ['8 same@x.com eight 2024-01-01 00:00:05.000000']);
  t.same(await contents(b), await contents(a));
});

t.test('a stale version of a row never pushes a newer row of another key out', async (t) => {
  const [a] = await sides();
  await a.app.query(`INSERT INTO ${a.name}.users VALUES (1, 'mine@x.com', 'one', '2024-01-01 00:00:09'), (2, 'e@x.com', 'two', '2024-01-01 00:00:03')`);
  // An old version of row 1 (it held e then) arrives late: row 1 is newer already, row 2 stays.
  const r = await a.sink.write([user(1, 'e@x.com', 'one-old', '2024-01-01 00:00:01')]);
  t.same(r.audits ?? [], []);
  t.same(await contents(a), ['1 mine@x.com one 2024-01-01 00:00:09.000000', '2 e@x.com two 2024-01-01 00:00:03.000000']);
});
