// Issue 13 through the live stack: every kind of DDL statement on a synced table, run on either
// side while `tandem run bidirectional` runs, reaches the other side (Debezium's schema-change
// topic, replayed in its binlog place among the rows), a row written right after an ALTER that
// needs it crosses too, the replayed statements do not come back (the connectors drop their
// schema-change records: they carry Tandem's server id), and a table both sides change at once
// stops, loudly, until an operator makes its definitions equal, then goes on. verify compares rows
// and definitions.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { DebeziumDecoder } from '../../lib/debezium';
import { ConfluentSchemaRegistrySource } from '../../lib/registry';
import { findRecord, loadStackConfig, type RawRecord } from '../../lib/stack';
import { connectorHasRead, tandemGtid } from './fixtures/connector-position';
import { formatReport, verifyDatabases, waitUntilConverged } from '../../lib/verify';
import { brokers, DEFAULT_TABLES, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const tag = randomBytes(3).toString('hex');
const T = `ddl_${tag}`;
const P = `ddlp_${tag}`;
const C = `ddlc_${tag}`;
const stack = loadStackConfig();
const registryUrl = process.env.TANDEM_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

t.setTimeout(12 * 60_000);

async function definition(db: Connection, table: string): Promise<string | null> {
  const [rows] = await db.query<RowDataPacket[]>(`SHOW CREATE TABLE ${table}`).catch(() => [[]] as unknown as [RowDataPacket[]]);
  return rows.length ? String(rows[0]['Create Table']).replace(/\s+AUTO_INCREMENT=\d+/, '') : null;
}

t.test('schema changes follow both ways', async (t) => {
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  t.teardown(async () => {
    for (const db of [a, b]) {
      for (const name of [T, `${T}_renamed`, C, P]) await db.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
      await db.end();
    }
  });
  for (const db of [a, b]) {
    await db.query(`CREATE TABLE ${P} (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    await db.query(`CREATE TABLE ${T} (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, parent_id BIGINT NULL, updated_at DATETIME(6) NOT NULL)`);
    await db.query(`CREATE TABLE ${C} (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  }
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${P},${T},${C}` }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);
  await waitFor('the runtime to run', () => proc.running, 180_000);

  const same = async (table: string, what: string) =>
    waitFor(`${table}: the same definition on both sides after ${what}`, async () => {
      const [da, db] = [await definition(a, table), await definition(b, table)];
      return da !== null && da === db;
    }, 60_000);
  let id = 0;
  const steps: { on: 'a' | 'b'; sql: string; row?: (n: number) => string }[] = [
    // A row that needs the column, written right after the ALTER that adds it.
    { on: 'a', sql: `ALTER TABLE ${T} ADD COLUMN topic VARCHAR(20) NULL AFTER name`, row: (n) => `INSERT INTO ${T} (id, name, topic, updated_at) VALUES (${n}, 'after add', 'fresh', NOW(6))` },
    { on: 'b', sql: `ALTER TABLE ${T} MODIFY name VARCHAR(200) NOT NULL`, row: (n) => `INSERT INTO ${T} (id, name, updated_at) VALUES (${n}, '${'w'.repeat(150)}', NOW(6))` },
    { on: 'a', sql: `ALTER TABLE ${T} CHANGE topic subject VARCHAR(30) NULL` },
    { on: 'b', sql: `ALTER TABLE ${T} RENAME COLUMN subject TO title`, row: (n) => `INSERT INTO ${T} (id, name, title, updated_at) VALUES (${n}, 'renamed', 'ok', NOW(6))` },
    { on: 'a', sql: `ALTER TABLE ${T} ALTER COLUMN title SET DEFAULT 'untitled'` },
    { on: 'a', sql: `ALTER TABLE ${T} ADD INDEX ix_name (name), ADD UNIQUE KEY ux_title (title)` },
    { on: 'b', sql: `ALTER TABLE ${T} DROP INDEX ux_title` },
    { on: 'a', sql: `CREATE INDEX ix_updated ON ${T} (updated_at)` },
    { on: 'b', sql: `DROP INDEX ix_updated ON ${T}` },
    { on: 'a', sql: `ALTER TABLE ${T} ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES ${P} (id)` },
    { on: 'b', sql: `ALTER TABLE ${T} DROP FOREIGN KEY fk_parent` },
    { on: 'a', sql: `ALTER TABLE ${T} COMMENT = 'rooms of the chat', ROW_FORMAT = DYNAMIC` },
    { on: 'b', sql: `ALTER TABLE ${T} DROP COLUMN title`, row: (n) => `INSERT INTO ${T} (id, name, updated_at) VALUES (${n}, 'after drop', NOW(6))` },
  ];
  for (const step of steps) {
    await t.test(`${step.sql} on ${step.on}`, async (t) => {
      const [here, there] = step.on === 'a' ? [a, b] : [b, a];
      await here.query(step.sql);
      if (step.row) {
        id++;
        await here.query(step.row(id));
        await waitFor(`row ${id} on the other side`, async () => ((await there.query<RowDataPacket[]>(`SELECT id FROM ${T} WHERE id = ?`, [id]))[0] as RowDataPacket[]).length > 0, 60_000);
      }
      await same(T, step.sql);
      t.equal(await definition(there, T), await definition(here, T), 'the same definition');
    });
  }

  await t.test('TRUNCATE, RENAME TABLE and DROP TABLE', async (t) => {
    await waitFor('the rows on both sides', async () => JSON.stringify((await a.query(`SELECT id FROM ${T} ORDER BY id`))[0]) === JSON.stringify((await b.query(`SELECT id FROM ${T} ORDER BY id`))[0]), 60_000);
    await a.query(`TRUNCATE TABLE ${T}`);
    await waitFor('b emptied too', async () => ((await b.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${T}`))[0] as RowDataPacket[])[0].n === 0, 60_000);
    await b.query(`RENAME TABLE ${T} TO ${T}_renamed`);
    await waitFor('a renamed too', async () => (await definition(a, `${T}_renamed`)) !== null && (await definition(a, T)) === null, 60_000);
    await a.query(`DROP TABLE ${T}_renamed`);
    await waitFor('b dropped too', async () => (await definition(b, `${T}_renamed`)) === null, 60_000);
    t.pass('each crossed');
  });

  await t.test('no loop: b\'s connector drops the statements Tandem replayed, and none is replayed back', async (t) => {
    // Tandem's last write on b (a replayed statement among them) read by b's connector: had it sent
    // Tandem's replay of a's ADD COLUMN, that record would be on topic b by now. The connector stores
    // the position of what it sends, so the application writes on b once more to carry it along.
    const written = await tandemGtid(urlB);
    t.ok(written, `Tandem's replays on b have GTIDs of its own domain (${written})`);
    await b.query(`INSERT INTO ${P} VALUES (1, 'written on b after the replays', NOW(6))`);
    await waitFor(`b's connector to store its read of ${written}`, () => connectorHasRead(stack, 'b', written!), 60_000);
    const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(registryUrl) });
    const isReplayOfAddColumn = async (r: RawRecord) => {
      if (!r.value) return false;
      const e = await decoder.decode({ topic: 'b', partition: 0, offset: '0', timestamp: 0, key: r.key, value: r.value, headers: {} });
      return e?.op === 'ddl' && /ADD COLUMN topic/i.test(e.ddl?.statement ?? '') && e.source.table === T;
    };
    const search = await findRecord(brokers, 'b', isReplayOfAddColumn, 15_000).then(() => 'found', (err: Error) => err.message);
    // b's own statements (MODIFY, RENAME COLUMN, ...) are on topic b: the search read records.
    t.match(search, /^no matching record on topic b within \d+s \([1-9]\d* records seen\)$/, "b's record of Tandem's replay never reached Kafka, b's own statements did");
    const replays = proc.logs.filter((l) => String(l.msg).startsWith('replayed a schema change of')).map((l) => `${l.msg} ${String(l.ddl)}`);
    t.equal(replays.filter((r) => /of b/.test(r) && /ADD COLUMN topic/i.test(r)).length, 0, 'a\'s statement was not replayed back onto a');
    t.equal(replays.filter((r) => /of a/.test(r) && /ADD COLUMN topic/i.test(r)).length, 1, 'and replayed on b once');
  });

  await t.test('both sides change one table at once: detected, the table waits, an operator settles it, it goes on', async (t) => {
    await a.query(`ALTER TABLE ${C} MODIFY name VARCHAR(200) NOT NULL`);
    await b.query(`ALTER TABLE ${C} MODIFY name VARCHAR(300) NOT NULL`);
    await waitFor('the conflict in the log', () => proc.logs.some((l) => l.level === 'error' && /table .*: both sides changed its definition/.test(String(l.msg)) && String(l.table) === C), 60_000);
    const report = await verifyDatabases({ a: urlA, b: urlB, tables: [C] });
    t.match(report.tables[0].schema, /definitions differ/, 'verify reports the definition difference');
    // Rows written meanwhile wait, then cross.
    await a.query(`INSERT INTO ${C} VALUES (1, 'written while it waits', NOW(6))`);
    await b.query(`ALTER TABLE ${C} MODIFY name VARCHAR(200) NOT NULL`); // the operator settles on 200
    await waitFor('the table going on by itself', () => proc.logs.some((l) => /both sides have the same definition again/.test(String(l.msg)) && String(l.table) === C), 120_000);
    await waitFor('the row that waited on b', async () => ((await b.query<RowDataPacket[]>(`SELECT id FROM ${C} WHERE id = 1`))[0] as RowDataPacket[]).length === 1, 120_000);
    t.equal(await definition(a, C), await definition(b, C));
  });

  await t.test('verify: rows and definitions identical', async (t) => {
    const r = await waitUntilConverged({ a: urlA, b: urlB, tables: [P, C], timeoutMs: 120_000, intervalMs: 2000 });
    t.ok(r.report.ok, 'identical') || t.comment(formatReport(r.report));
  });
});
