// The runtime's one retry loop, against the real failure: the real sink on a real MariaDB, a
// killed connection, a lock wait timeout, a deadlock and a server restart. The sink tries each
// flush once; the runtime waits (saying so), re-applies the batch, applies nothing twice and
// commits the offsets only after the rows are durable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { providedSink, TopologyBuilder } from '../../../lib/dsl';
import { Executor, sinksByName } from '../../../lib/executor';
import type { RetryPolicy } from '../../../lib/errors';
import { createLogger, Outages } from '../../../lib/observe';
import { DslPipeline } from '../../../lib/runtime/dsl-pipeline';
import type { RecordDecoder } from '../../../lib/runtime/ports';
import { Runtime } from '../../../lib/runtime/runtime';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { freePort, startMariaDb } from '../../../lib/stack/mariadb';
import { FakeConsumer, FakeDeadLetters, record } from '../../unit/runtime/fixtures/fakes';
import { rows, testDb, ts, uniqueTable, upsert, waitFor, type TestDb } from '../fixtures/db';

let db: TestDb;
t.before(async () => {
  db = await testDb(t);
});

/** Waits as the runtime does by default (for as long as it takes), in milliseconds instead of seconds. */
const patient: RetryPolicy = { retries: Infinity, initialMs: 20, maxMs: 250, factor: 2, jitter: 0 };
const TANDEM_DOMAIN = 4100;

/** Each record's value is `<id>:<body>:<updated_at>`, an upsert of `table`. */
const decoderFor = (table: string): RecordDecoder => ({
  async decode(r) {
    const [id, body, at] = String(r.value).split('|');
    return upsert(table, { id: Number(id), body, updated_at: ts(at) });
  },
});

interface Run {
  table: string;
  consumer: FakeConsumer;
  lines: string[];
  done: Promise<void>;
  runtime: Runtime;
}

/** Starts the runtime on `n` records (ids 1..n) for `table` at `url`; it stops once all are committed. */
function runOn(t: { teardown: (fn: () => Promise<void>) => void }, url: string, table: string, n: number, at: string, everyMs = 60_000): Run {
  const consumer = new FakeConsumer();
  for (let i = 1; i <= n; i++) consumer.add(record('t', 0, i - 1, `${i}|v${i}|${at}`));
  const lines: string[] = [];
  const log = createLogger({ json: true, write: (l) => lines.push(l) });
  const sink = mysqlSink({ name: 'mysql-t', url, tables: { [table]: { primaryKey: ['id'] } }, lingerMs: 1, maxRows: 1000, logger: log });
  const builder = new TopologyBuilder('retry');
  builder.stream('t', { name: 'source' }).to(providedSink('mysql-t'));
  const runtime = new Runtime({
    consumer,
    deadLetters: new FakeDeadLetters(),
    pipeline: new DslPipeline(new Executor(builder.build(), sinksByName(sink))),
    decoder: decoderFor(table),
    logger: log,
    batchRows: 1000,
    retryPolicy: patient,
    outages: new Outages({ log, everyMs }),
  });
  consumer.onIdle = () => {
    if (consumer.committed()['t:0'] === String(n)) runtime.stop();
  };
  const done = runtime.run();
  t.teardown(async () => {
    runtime.stop();
    await done.catch(() => undefined);
  });
  return { table, consumer, lines, done, runtime };
}

const logged = (run: Run, re: RegExp) => run.lines.some((l) => re.test(l));

/** The last sequence number of Tandem's own GTID domain: one per transaction Tandem committed. */
async function tandemSeq(conn: Connection): Promise<number> {
  const pos = String((await rows(conn, 'SELECT @@gtid_binlog_pos AS g'))[0].g);
  const mine = pos.split(',').find((g) => g.startsWith(`${TANDEM_DOMAIN}-`));
  return mine ? Number(mine.split('-')[2]) : 0;
}

async function table(prefix: string, url = db.url, conn: Connection = db.admin): Promise<string> {
  const name = uniqueTable(prefix);
  await conn.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(url, [name]);
  return name;
}

async function sinkStatementId(name: string): Promise<number> {
  return waitFor(`the sink's upsert into ${name} to be running`, async () => {
    const r = await rows(db.admin, "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND ID <> CONNECTION_ID() AND INFO LIKE ?", [`INSERT INTO \`${name}\`%`]);
    return r.length ? Number(r[0].ID) : undefined;
  });
}

t.test('a connection killed mid-batch: the runtime waits, re-applies once, then commits', async (t) => {
  const name = await table('kill');
  const app = await db.connect();
  await app.query(`INSERT INTO ${name} VALUES (50, 'old', '2024-01-01 00:00:00')`);
  await app.query('START TRANSACTION');
  await app.query(`SELECT * FROM ${name} WHERE id = 50 FOR UPDATE`);
  const start = await tandemSeq(db.admin);
  const run = runOn(t, db.url, name, 100, '2024-01-01 00:00:01');
  await db.admin.query(`KILL ${await sinkStatementId(name)}`);
  await waitFor('the runtime to say it waits for the sink', async () => (logged(run, /waiting for mysql-t/) ? true : undefined));
  t.same(run.consumer.committed(), {}, 'nothing committed while the batch is not applied');
  await app.query('ROLLBACK');
  await run.done;
  t.equal((await tandemSeq(db.admin)) - start, 1, "exactly one committed transaction, in Tandem's own GTID domain");
  const [c] = await rows(db.admin, `SELECT COUNT(*) AS n, SUM(body = CONCAT('v', id)) AS ok FROM chat.${name}`);
  t.same([Number(c.n), Number(c.ok)], [100, 100]);
  t.same(run.consumer.committed(), { 't:0': '100' });
  t.match(run.lines.find((l) => /waiting for mysql-t/.test(l)), /killed|lost|1927|closed/i, 'the wait names the lost connection');
  t.ok(logged(run, /mysql-t is back after/), 'one line when it resumes');
});

t.test('a lock wait timeout (1205) is waited out', async (t) => {
  await db.admin.query('SET GLOBAL innodb_lock_wait_timeout = 1');
  t.teardown(() => db.admin.query('SET GLOBAL innodb_lock_wait_timeout = 50'));
  const name = await table('lockwait');
  const app = await db.connect();
  await app.query(`INSERT INTO ${name} VALUES (1, 'old', '2024-01-01 00:00:00')`);
  await app.query('START TRANSACTION');
  await app.query(`SELECT * FROM ${name} WHERE id = 1 FOR UPDATE`);
  const run = runOn(t, db.url, name, 3, '2024-01-01 00:00:01');
  await waitFor('a wait after the lock wait timeout', async () => (logged(run, /1205/) ? true : undefined));
  await app.query('ROLLBACK');
  await run.done;
  t.same((await rows(db.admin, `SELECT body FROM chat.${name} ORDER BY id`)).map((r) => r.body), ['v1', 'v2', 'v3']);
  t.same(run.consumer.committed(), { 't:0': '3' });
});

t.test('a deadlock (1213) is waited out', async (t) => {
  const name = await table('deadlock');
  const app = await db.connect();
  await app.query(`INSERT INTO ${name} VALUES (1, 'old', '2024-01-01 00:00:00'), (2, 'old', '2024-01-01 00:00:00')`);
  const heavy = uniqueTable('heavy');
  await app.query(`CREATE TABLE ${heavy} (id INT PRIMARY KEY, n INT)`);
  await app.query(`INSERT INTO ${heavy} SELECT seq, 0 FROM seq_1_to_200`);
  // The application transaction has changed many rows, so InnoDB picks the sink as the victim.
  await app.query('START TRANSACTION');
  await app.query(`UPDATE ${heavy} SET n = n + 1`);
  await app.query(`SELECT * FROM ${name} WHERE id = 2 FOR UPDATE`);
  const run = runOn(t, db.url, name, 2, '2024-01-01 00:00:01');
  await sinkStatementId(name);
  await app.query(`SELECT * FROM ${name} WHERE id = 1 FOR UPDATE`);
  await waitFor('a wait after the deadlock', async () => (logged(run, /1213/) ? true : undefined));
  await app.query('ROLLBACK');
  await run.done;
  t.same((await rows(db.admin, `SELECT body FROM chat.${name} ORDER BY id`)).map((r) => r.body), ['v1', 'v2']);
});

t.test('a server down for a while: one line when the wait starts, one per period, one when it is back', { skip: process.env.MYSQL_URL ? 'needs a server this test starts' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const options = { port: await freePort(), dataDir: join(dir, 'data'), serverId: 12 };
  let server = await startMariaDb(options);
  t.teardown(() => server.stop());
  const admin = await createConnection(server.url);
  const name = await table('restart', server.url, admin);
  await admin.end();
  await server.stop();
  const run = runOn(t, server.url, name, 10, '2024-01-01 00:00:02', 1000);
  await waitFor('the runtime to wait for the database', async () => (logged(run, /"waiting for mysql-t/) ? true : undefined));
  await waitFor('a "still waiting" line', async () => (logged(run, /still waiting for mysql-t/) ? true : undefined), 10_000);
  t.same(run.runtime.waitingFor().map((o) => o.what), ['mysql-t'], 'the wait is visible while it lasts');
  server = await startMariaDb(options);
  await run.done;
  const check = await createConnection({ uri: server.url, dateStrings: true });
  const [r] = await check.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, MIN(updated_at) AS m FROM ${name}`);
  await check.end();
  t.same([Number(r[0].n), String(r[0].m)], [10, '2024-01-01 00:00:02.000000']);
  t.equal(run.lines.filter((l) => /"waiting for mysql-t/.test(l)).length, 1, 'the start of the wait is said once');
  t.ok(logged(run, /mysql-t is back after/));
  t.same(run.runtime.waitingFor(), []);
  t.notMatch(run.lines.join('\n'), /tandem:tandem@/, 'credentials are never logged');
});
