// Faults the sink retries with backoff and no duplicate effect: a killed connection, a lock
// wait timeout, a deadlock, a server restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { testRetryPolicy, type RetryPolicy } from '../../../lib/errors';
import type { Sink } from '../../../lib/model';
import { createLogger } from '../../../lib/observe';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { freePort, startMariaDb } from '../../../lib/stack/mariadb';
import { rows, testDb, ts, uniqueTable, upsert, waitFor, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close().catch(() => undefined);
});

interface Setup {
  name: string;
  sink: Sink;
  retries: string[];
  app: Connection;
}

async function setup(prefix: string, url = db.url, retry: RetryPolicy = testRetryPolicy): Promise<Setup> {
  const name = uniqueTable(prefix);
  const app = await db.connect();
  await app.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(url, [name]);
  const retries: string[] = [];
  const logger = createLogger({ json: true, write: (line) => retries.push(line) });
  const sink = mysqlSink({ url, tables: { [name]: { primaryKey: ['id'] } }, retry, lingerMs: 1, logger });
  sinks.push(sink);
  return { name, sink, retries, app };
}

const gtidSeq = async () => Number(String((await rows(db.admin, 'SELECT @@gtid_binlog_pos AS g'))[0].g).split('-').pop());

async function sinkStatementId(table: string): Promise<number> {
  return waitFor(`the sink's upsert into ${table} to be running`, async () => {
    const r = await rows(db.admin, "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE ?", [`INSERT INTO \`${table}\`%`]);
    return r.length ? Number(r[0].ID) : undefined;
  });
}

const batchOf = (name: string, n: number, at: string) => Array.from({ length: n }, (_, i) => upsert(name, { id: i + 1, body: `v${i + 1}`, updated_at: ts(at) }));

t.test('a connection killed mid-batch is retried, with no duplicate effect', async (t) => {
  const { name, sink, retries, app } = await setup('kill');
  await app.query(`INSERT INTO ${name} VALUES (50, 'old', '2024-01-01 00:00:00')`);
  await app.query('START TRANSACTION');
  await app.query(`SELECT * FROM ${name} WHERE id = 50 FOR UPDATE`);
  const start = await gtidSeq();
  const pending = sink.write(batchOf(name, 100, '2024-01-01 00:00:01'));
  const id = await sinkStatementId(name);
  await db.admin.query(`KILL ${id}`);
  await waitFor('the sink to log a retry', async () => (retries.some((l) => /retrying a batch/.test(l)) ? true : undefined));
  await app.query('ROLLBACK');
  t.same(await pending, { applied: 100, skipped: 0, deadLetters: [] }, '99 inserts and one update, counted once');
  t.equal((await gtidSeq()) - start, 1, 'exactly one committed transaction');
  const [c] = await rows(db.admin, `SELECT COUNT(*) AS n, SUM(body = CONCAT('v', id)) AS ok FROM chat.${name}`);
  t.same([Number(c.n), Number(c.ok)], [100, 100]);
  t.match(retries.find((l) => /retrying/.test(l)), /killed|lost|1927|closed/i, 'the retry names the lost connection');
});

t.test('a lock wait timeout (1205) is retried', async (t) => {
  await db.admin.query('SET GLOBAL innodb_lock_wait_timeout = 1');
  t.teardown(() => db.admin.query('SET GLOBAL innodb_lock_wait_timeout = 50'));
  const { name, sink, retries, app } = await setup('lockwait');
  await app.query(`INSERT INTO ${name} VALUES (1, 'old', '2024-01-01 00:00:00')`);
  await app.query('START TRANSACTION');
  await app.query(`SELECT * FROM ${name} WHERE id = 1 FOR UPDATE`);
  const pending = sink.write(batchOf(name, 3, '2024-01-01 00:00:01'));
  await waitFor('a retry after the lock wait timeout', async () => (retries.some((l) => /1205/.test(l)) ? true : undefined));
  await app.query('ROLLBACK');
  t.same(await pending, { applied: 3, skipped: 0, deadLetters: [] });
  t.same((await rows(db.admin, `SELECT body FROM chat.${name} ORDER BY id`)).map((r) => r.body), ['v1', 'v2', 'v3']);
});

t.test('a deadlock (1213) is retried', async (t) => {
  const { name, sink, retries, app } = await setup('deadlock');
  await app.query(`INSERT INTO ${name} VALUES (1, 'old', '2024-01-01 00:00:00'), (2, 'old', '2024-01-01 00:00:00')`);
  const heavy = uniqueTable('heavy');
  await app.query(`CREATE TABLE ${heavy} (id INT PRIMARY KEY, n INT)`);
  await app.query(`INSERT INTO ${heavy} SELECT seq, 0 FROM seq_1_to_200`);
  // The application transaction has changed many rows, so InnoDB picks the sink as the victim.
  await app.query('START TRANSACTION');
  await app.query(`UPDATE ${heavy} SET n = n + 1`);
  await app.query(`SELECT * FROM ${name} WHERE id = 2 FOR UPDATE`);
  const pending = sink.write(batchOf(name, 2, '2024-01-01 00:00:01'));
  await sinkStatementId(name);
  await app.query(`SELECT * FROM ${name} WHERE id = 1 FOR UPDATE`);
  await waitFor('a retry after the deadlock', async () => (retries.some((l) => /1213/.test(l)) ? true : undefined));
  await app.query('ROLLBACK');
  t.same(await pending, { applied: 2, skipped: 0, deadLetters: [] });
  t.same((await rows(db.admin, `SELECT body FROM chat.${name} ORDER BY id`)).map((r) => r.body), ['v1', 'v2']);
});

t.test('a server restart is retried', { skip: process.env.MYSQL_URL ? 'needs a server this test starts' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const options = { port, dataDir: join(dir, 'data'), serverId: 12 };
  let server = await startMariaDb(options);
  t.teardown(() => server.stop());
  const name = uniqueTable('restart');
  const conn = await createConnection(server.url);
  await conn.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await conn.end();
  await installOriginSupport(server.url, [name]);
  const lines: string[] = [];
  const sink = mysqlSink({
    url: server.url,
    tables: { [name]: { primaryKey: ['id'] } },
    retry: { retries: 40, initialMs: 20, maxMs: 250, factor: 2, jitter: 0 },
    lingerMs: 1,
    logger: createLogger({ json: true, write: (l) => lines.push(l) }),
  });
  sinks.push(sink);
  t.same(await sink.write(batchOf(name, 5, '2024-01-01 00:00:01')), { applied: 5, skipped: 0, deadLetters: [] });
  await server.stop();
  const pending = sink.write(batchOf(name, 10, '2024-01-01 00:00:02'));
  await waitFor('the sink to retry while the server is down', async () => (lines.some((l) => /retrying a batch/.test(l)) ? true : undefined));
  server = await startMariaDb(options);
  t.same(await pending, { applied: 10, skipped: 0, deadLetters: [] }, '5 updates and 5 inserts once the server is back');
  const check = await createConnection({ uri: server.url, dateStrings: true });
  const [r] = await check.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, MIN(updated_at) AS m FROM ${name}`);
  await check.end();
  t.same([Number(r[0].n), String(r[0].m)], [10, '2024-01-01 00:00:02.000000']);
  t.notMatch(lines.join('\n'), /tandem:tandem@/, 'credentials are never logged');
});
