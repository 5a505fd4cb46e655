// Schema changes replayed by the sink on real MariaDB (issue 13): two databases of one server as
// the two sides, each with its sink (databaseId a / b, as tandem run makes them), DDL events as
// the decoder makes them from Debezium's schema-change topic. Every kind of statement crosses,
// in its place among the rows; a replay after a crash changes nothing; a row of a shape the table
// does not have waits; both sides changing one table at once stops that table until its two
// definitions are made equal, then it goes on by itself.
import t from 'tap';
import type { Connection } from 'mysql2/promise';
import { SyncedTables } from '../../../lib/config';
import { TandemError } from '../../../lib/errors';
import type { ChangeEvent, Sink } from '../../../lib/model';
import { createLogger } from '../../../lib/observe';
import { installOriginSupport, mysqlSink, primeSchemaAgreement, resetSchemaState } from '../../../lib/sink';
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
  id: 'a' | 'b';
  database: string;
  sink: Sink;
  app: Connection;
  lines: string[];
  /** The live set of synced tables this side's sink follows. */
  synced: SyncedTables;
}

let n = 0;
let pos = 1000;
/** Databases `sc<n>a` / `sc<n>b` (the names differ on purpose: statements are requalified) with `items` and a sink each. */
async function sides(tables = 'items', options: { ddlLockWaitSeconds?: number; extra?: Record<string, string> } = {}): Promise<[Side, Side]> {
  const { extra = {}, ...sinkOptions } = options;
  n++;
  resetSchemaState();
  const out: Side[] = [];
  for (const id of ['a', 'b'] as const) {
    const database = `sc${n}${id}`;
    await db.admin.query(`CREATE DATABASE ${database}`);
    for (const table of tables.split(',')) await db.admin.query(`CREATE TABLE ${database}.${table} (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL${extra[table] ?? ''})`);
    const url = db.url.replace(/\/chat$/, `/${database}`);
    await installOriginSupport(url, tables.split(','));
    const lines: string[] = [];
    const synced = new SyncedTables(tables.split(',').map((name) => ({ name, primaryKey: ['id'] })));
    const sink = mysqlSink({
      name: `mysql-${id}`,
      databaseId: id,
      url,
      tables: Object.fromEntries(tables.split(',').map((tb) => [tb, { primaryKey: ['id'] }])),
      lingerMs: 1,
      // The live set of synced tables, as tandem run gives its sinks.
      synced,
      ...sinkOptions,
      logger: createLogger({ json: true, write: (l) => lines.push(l) }),
    });
    sinks.push(sink);
    out.push({ id, database, sink, app: await db.connect(), lines, synced });
  }
  // What tandem run does at start: both sides agree on what they hold alike.
  await primeSchemaAgreement(tables.split(','));
  return [out[0], out[1]];
}

/** A schema change as the decoder makes it: `from` ran `statement` in its database. */
function ddl(from: Side, statement: string, table = 'items'): ChangeEvent {
  pos += 10;
  return {
    op: 'ddl',
    before: null,
    after: null,
    key: {},
    source: { connector: 'mariadb', name: from.id, db: from.database, table, serverId: 11, gtid: null, file: 'mariadb-bin.000001', pos, row: 0, tsMs: 0, snapshot: false, thread: null },
    headers: {},
    ddl: { statement, database: from.database, tables: [{ type: 'ALTER', table, columns: [] }] },
    target: { table },
  };
}

const definition = async (side: Side, table = 'items') =>
  String((await rows(db.admin, `SHOW CREATE TABLE ${side.database}.${table}`))[0]['Create Table']).replace(/\s+AUTO_INCREMENT=\d+/, '');
const triggerText = async (side: Side) => String((await rows(db.admin, 'SELECT ACTION_STATEMENT AS s FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?', [side.database, 'tandem_items_bd']))[0]?.s);

t.test('every kind of ALTER on a is replayed on b, in its place among the rows', async (t) => {
  const [a, b] = await sides();
  const steps = [
    'ALTER TABLE `items` ADD COLUMN `topic` VARCHAR(20) NULL AFTER `name`',
    'ALTER TABLE items MODIFY name VARCHAR(200) NOT NULL',
    'ALTER TABLE items RENAME COLUMN topic TO subject',
    'ALTER TABLE items ALTER COLUMN subject SET DEFAULT \'none\'',
    'ALTER TABLE items ADD INDEX ix_name (name), ADD UNIQUE KEY ux_subject (subject)',
    'CREATE INDEX ix_updated ON items (updated_at)',
    'DROP INDEX ix_updated ON items',
    'ALTER TABLE items DROP INDEX ux_subject',
    'ALTER TABLE items COMMENT = \'items of the chat\'',
  ];
  for (const statement of steps) {
    await a.app.query(statement.replace(/`?items`?/, `${a.database}.items`));
    await b.sink.write([ddl(a, statement)]);
    t.equal(await definition(b), await definition(a), statement);
  }
  // A row written on a after a change that needs it, in the same batch as the change.
  await a.app.query(`ALTER TABLE ${a.database}.items ADD COLUMN score INT NOT NULL DEFAULT 0`);
  const row = upsert('items', { id: 1, name: 'x'.repeat(150), subject: 'hi', score: 7, updated_at: ts('2024-01-01 00:00:01') });
  const r = await b.sink.write([upsert('items', { id: 0, name: 'before', subject: null, updated_at: ts('2024-01-01 00:00:00') }), ddl(a, 'ALTER TABLE items ADD COLUMN score INT NOT NULL DEFAULT 0'), row]);
  t.same([r.applied, r.deadLetters], [3, []], 'the row before the change, the change, the row after it');
  t.same((await rows(db.admin, `SELECT id, score FROM ${b.database}.items ORDER BY id`)).map((x) => [Number(x.id), Number(x.score)]), [[0, 0], [1, 7]]);
  t.match(await triggerText(b), /score|tandem_tombstones/, "b's triggers re-installed");
  // Dropping a column: the application's updates on a keep working (the triggers name no data column).
  await a.app.query(`ALTER TABLE ${a.database}.items DROP COLUMN score`);
  await a.app.query(`UPDATE ${a.database}.items SET name = 'still works' WHERE id = 0`).catch((err: unknown) => t.fail(`application update after DROP COLUMN: ${String(err)}`));
  await b.sink.write([ddl(a, 'ALTER TABLE items DROP COLUMN score')]);
  t.equal(await definition(b), await definition(a), 'DROP COLUMN');
  t.ok(b.lines.some((l) => /replayed a schema change of a/.test(l)), 'the replay is logged');
});

t.test('TRUNCATE, RENAME TABLE, CREATE TABLE and DROP TABLE', async (t) => {
  const [a, b] = await sides('items,notes');
  // Each statement runs on a first, as the application's would.
  const onA = (sql: string) => a.app.query(sql.replace(/\b(TABLE|TO) (notes\w*|items)\b/g, `$1 ${a.database}.$2`));
  await b.app.query(`INSERT INTO ${b.database}.items VALUES (1, 'x', NOW(6))`);
  await b.sink.write([ddl(a, 'TRUNCATE TABLE items')]);
  t.same(await rows(db.admin, `SELECT * FROM ${b.database}.items`), [], 'TRUNCATE');
  for (const side of [a, b]) await side.app.query(`DROP TABLE ${side.database}.notes`);
  const create = 'CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, updated_at DATETIME(6) NOT NULL)';
  await onA(create);
  await b.sink.write([ddl(a, create, 'notes')]);
  t.equal(await definition(b, 'notes'), await definition(a, 'notes'), 'CREATE TABLE');
  t.ok((await rows(db.admin, 'SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?', [b.database, 'notes'])).length > 0, 'a synced table created: its triggers installed');
  await onA('RENAME TABLE notes TO notes_old');
  await b.sink.write([ddl(a, 'RENAME TABLE notes TO notes_old', 'notes')]);
  t.same((await rows(db.admin, 'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [b.database])).map((x) => x.n), ['items', 'notes_old', 'tandem_tombstones']);
  await onA('DROP TABLE notes_old');
  await b.sink.write([ddl(a, 'DROP TABLE notes_old', 'notes_old')]);
  t.same((await rows(db.admin, 'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [b.database])).map((x) => x.n), ['items', 'tandem_tombstones'], 'DROP TABLE');
});

// Found using Tandem as a user would: a table of TANDEM_TABLES dropped and created again on both
// sides while Tandem was stopped. The DROP read afterwards ended the table's sync although the
// table was there, and its CREATE did not bring it back: its rows went to the dead-letter topic.
t.test('a listed table dropped and created again is synced again; a DROP read again while it exists ends nothing', async (t) => {
  const [a, b] = await sides('items,notes');
  const onA = (sql: string) => a.app.query(sql.replace(/\bTABLE notes\b/, `TABLE ${a.database}.notes`));
  await b.sink.write([ddl(a, 'DROP TABLE notes', 'notes')]);
  t.ok(b.synced.has('notes'), 'a DROP of the past, read while notes exists on both sides: still synced');
  t.equal(await definition(b, 'notes'), await definition(a, 'notes'), 'and nothing dropped');

  await onA('DROP TABLE notes');
  await b.sink.write([ddl(a, 'DROP TABLE notes', 'notes')]);
  t.notOk(b.synced.has('notes'), 'dropped on both sides: no longer synced');

  const create = 'CREATE TABLE notes (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)';
  await onA(create);
  await b.sink.write([ddl(a, create, 'notes')]);
  t.ok(b.synced.has('notes'), 'created again on both sides: TANDEM_TABLES names it, so it is synced again');
  t.ok(b.lines.some((l) => /table notes exists on both sides now: synced \(TANDEM_TABLES names it\)/.test(l)), 'said so');
  t.ok((await rows(db.admin, 'SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?', [b.database, 'notes'])).length > 0, 'its triggers installed again');
  await b.sink.write([upsert('notes', { id: 1, name: 'back', updated_at: ts('2024-01-01 00:00:01') })]);
  t.same(await rows(db.admin, `SELECT id, name FROM ${b.database}.notes`), [{ id: 1, name: 'back' }], 'and its rows are written');
});

t.test('a replay after a crash changes nothing; a row of a shape the table lacks waits for its change', async (t) => {
  const [a, b] = await sides();
  await a.app.query(`ALTER TABLE ${a.database}.items ADD COLUMN extra INT NULL`);
  const add = ddl(a, 'ALTER TABLE items ADD COLUMN extra INT NULL');
  await b.sink.write([add]);
  const after = await definition(b);
  resetSchemaState(); // a restart: nothing remembered
  await b.sink.write([add]);
  t.equal(await definition(b), after, 'applied once');
  t.ok(b.lines.some((l) => /already alike on both sides; a statement of a is not replayed/.test(l)), 'said so');
  const early = upsert('items', { id: 5, name: 'x', extra: 1, other: 2, updated_at: ts('2024-01-01 00:00:01') });
  const err = await b.sink.write([early]).catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.kind === 'retriable', 'retriable: the batch waits, nothing is dead-lettered');
  t.match((err as TandemError).context.stage, /mysql-b: schema of items/);
  t.match((err as TandemError).message, /the row has column\(s\) other, which items does not have here/);
});

/** Both sides widen items.name at once (a to 200, b to 300): each statement as the other side reads it. */
async function widenedOnBoth(): Promise<{ a: Side; b: Side; fromA: ChangeEvent; fromB: ChangeEvent }> {
  const [a, b] = await sides();
  await a.app.query(`ALTER TABLE ${a.database}.items MODIFY name VARCHAR(200) NOT NULL`);
  await b.app.query(`ALTER TABLE ${b.database}.items MODIFY name VARCHAR(300) NOT NULL`);
  return { a, b, fromA: ddl(a, 'ALTER TABLE items MODIFY name VARCHAR(200) NOT NULL'), fromB: ddl(b, 'ALTER TABLE items MODIFY name VARCHAR(300) NOT NULL') };
}

t.test('both sides change one table at once: that table stops, loudly, until an operator makes both equal', async (t) => {
  const { a, b, fromA, fromB } = await widenedOnBoth();
  // What both agreed on at start: the table as it was (VARCHAR(100)); each side changed it since.
  const errB = await b.sink.write([fromA]).catch((e: unknown) => e);
  const errA = await a.sink.write([fromB]).catch((e: unknown) => e);
  for (const [side, err] of [['b', errB], ['a', errA]] as const) {
    t.ok(err instanceof TandemError && err.kind === 'retriable', `${side}: the table waits`);
    t.match((err as TandemError).message, /definitions on [ab] and [ab] differ/);
  }
  t.match(await definition(a), /varchar\(200\)/, 'a kept its own change (nothing guessed)');
  t.match(await definition(b), /varchar\(300\)/, 'b kept its own change');
  const error = [...a.lines, ...b.lines].map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'error');
  t.match(error?.msg, /table items: both sides changed its definition/);
  t.match(String(error?.statement), /MODIFY name VARCHAR/);
  t.ok(Object.keys(error ?? {}).some((k) => /^definition on a$/.test(k)) && Object.keys(error ?? {}).some((k) => /^definition on b$/.test(k)), 'both definitions in the log line');
  // Still waiting on a retry; rows of the table too.
  await t.rejects(b.sink.write([fromA]), /differ/);
  // The operator settles on 300 on both sides: the next try goes on by itself.
  await a.app.query(`ALTER TABLE ${a.database}.items MODIFY name VARCHAR(300) NOT NULL`);
  await b.sink.write([fromA]);
  await a.sink.write([fromB]);
  t.equal(await definition(a), await definition(b), 'equal');
  t.match(await definition(a), /varchar\(300\)/, "the operator's choice stands: the statements that waited are not replayed over it");
  const r = await b.sink.write([upsert('items', { id: 1, name: 'y'.repeat(250), updated_at: ts('2024-01-01 00:00:01') })]);
  t.equal(r.applied, 1, 'rows flow again');
});

t.test('a statement read again, already in place on a side that has a change of its own on the way, starts no false conflict', async (t) => {
  const [a, b] = await sides();
  // a changes items; before its ALTER crosses, the b→a lane reads b's old CREATE TABLE again (a
  // new consumer group reads the schema topic from its beginning): already in place on a.
  await a.app.query(`ALTER TABLE ${a.database}.items ADD COLUMN x INT NULL`);
  await a.sink.write([ddl(b, 'CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)')]);
  await b.sink.write([ddl(a, 'ALTER TABLE items ADD COLUMN x INT NULL')]);
  t.equal(await definition(b), await definition(a), "a's ALTER crossed: no conflict from the statement read again");
  t.notOk([...a.lines, ...b.lines].some((l) => l.includes('"level":"error"')), 'no error logged');
});

t.test('an operator settles on a third definition: neither statement that waited is replayed over it', async (t) => {
  const { a, b, fromA, fromB } = await widenedOnBoth();
  await t.rejects(b.sink.write([fromA]), /differ/, 'a→b waits');
  await t.rejects(a.sink.write([fromB]), /differ/, 'b→a waits');
  for (const side of [a, b]) await side.app.query(`ALTER TABLE ${side.database}.items MODIFY name VARCHAR(250) NOT NULL`);
  // Either lane may notice first; the other then holds a statement that predates the settlement.
  await b.sink.write([fromA]);
  await a.sink.write([fromB]);
  t.match(await definition(a), /varchar\(250\)/, "a keeps the operator's definition (b's MODIFY 300 that waited is not replayed)");
  t.equal(await definition(b), await definition(a), 'b too');
  t.ok(a.lines.some((l) => l.includes('is not replayed; the definition the operator settled on stands')), 'and says so');
  // A statement made after the settlement crosses as usual.
  await b.app.query(`ALTER TABLE ${b.database}.items ADD COLUMN note VARCHAR(10) NULL`);
  await a.sink.write([ddl(b, 'ALTER TABLE items ADD COLUMN note VARCHAR(10) NULL')]);
  t.equal(await definition(a), await definition(b), 'later changes flow');
});

t.test('an ALTER that waits for a lock held on the table is retried (never dead-lettered) while the other tables go on', async (t) => {
  const [a, b] = await sides('items,others', { ddlLockWaitSeconds: 1 });
  await b.app.query(`INSERT INTO ${b.database}.items VALUES (1, 'x', NOW(6))`);
  // An open transaction on b holds items' metadata lock: the replayed ALTER cannot take it.
  const holder = await db.connect();
  await holder.query('START TRANSACTION');
  await holder.query(`SELECT * FROM ${b.database}.items`);
  await a.app.query(`ALTER TABLE ${a.database}.items ADD COLUMN note VARCHAR(10) NULL`);
  const alter = ddl(a, 'ALTER TABLE items ADD COLUMN note VARCHAR(10) NULL');
  const err = await b.sink.write([alter]).catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.kind === 'retriable', `the lane waits and tries again (${err instanceof Error ? err.message : String(err)})`);
  const other = await b.sink.write([upsert('others', { id: 1, name: 'goes on', updated_at: ts('2024-01-01 00:00:01') })]);
  t.equal(other.applied, 1, 'another table is written meanwhile');
  await holder.query('COMMIT');
  await holder.end();
  await b.sink.write([alter]);
  t.equal(await definition(b), await definition(a), 'once the lock is released the retry replays it');
});

t.test("a foreign key with ON DELETE CASCADE added on a: the parent's delete trigger on b learns it at once", async (t) => {
  const [a, b] = await sides('items,kids', { extra: { kids: ', parent_id BIGINT NULL' } });
  const statement = (database: string) => `ALTER TABLE ${database}.kids ADD CONSTRAINT fk_kids_items FOREIGN KEY (parent_id) REFERENCES ${database}.items (id) ON DELETE CASCADE`;
  await a.app.query(statement(a.database));
  t.notMatch(await triggerText(b), /kids/, 'before: the delete trigger of items on b knows no child');
  await b.sink.write([{ ...ddl(a, 'ALTER TABLE kids ADD CONSTRAINT fk_kids_items FOREIGN KEY (parent_id) REFERENCES items (id) ON DELETE CASCADE', 'kids') }]);
  t.equal(await definition(b, 'kids'), await definition(a, 'kids'), 'replayed');
  t.match(await triggerText(b), /kids/, "items' delete trigger on b now deletes its children first (their tombstones cross)");
  t.match(await triggerText(a), /kids/, 'and on a');
});

t.test('a statement that cannot run here as it ran there stops the table the same way', async (t) => {
  const [a, b] = await sides();
  await b.app.query(`INSERT INTO ${b.database}.items VALUES (1, 'same', NOW(6)), (2, 'same', NOW(6))`);
  await a.app.query(`ALTER TABLE ${a.database}.items ADD UNIQUE KEY ux_name (name)`);
  const err = await b.sink.write([ddl(a, 'ALTER TABLE items ADD UNIQUE KEY ux_name (name)')]).catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.kind === 'retriable', 'waits, not fatal, not dead-lettered');
  t.match((err as TandemError).message, /replaying it failed here: Duplicate entry/);
});
