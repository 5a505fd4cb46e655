// Schema changes (issue 6, then 13): a column added on a while `tandem run bidirectional` runs
// appears on b with the same definition (the ALTER replayed in its place among the rows), rows
// carry its values both ways, and nothing loops back.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { all, connectBoth, createTestTable, showLogsOnFailure, DEFAULT_TABLES, deadLettersFor, one, runtimeEnv, startRuntime, stopRuntime, waitFor } from './fixtures/runtime';

const TABLE = `evolve_${randomBytes(4).toString('hex')}`;

const columnsOf = (db: Connection) =>
  all(db, 'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [TABLE]);
const rowsOf = (db: Connection) => all(db, `SELECT id, body, label, score, updated_at FROM ${TABLE} ORDER BY id`);

t.test('ALTER TABLE ... ADD COLUMN on a reaches b while the topology runs', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  await createTestTable([a, b], TABLE);
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${TABLE}` }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);

  await a.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES (1, 'before the change', NOW(6))`);
  await waitFor('the first row on b', async () => (await one(b, `SELECT body FROM ${TABLE} WHERE id = 1`))?.body === 'before the change');

  await a.query(`ALTER TABLE ${TABLE} ADD COLUMN label VARCHAR(20) NOT NULL DEFAULT 'none' AFTER body, ADD COLUMN score DECIMAL(8,2) NULL AFTER label`);
  await a.query(`INSERT INTO ${TABLE} (id, body, label, score, updated_at) VALUES (2, 'after the change', 'gold', 12.34, NOW(6))`);
  await waitFor('the row with the new columns on b', async () => (await one(b, `SELECT id FROM ${TABLE} WHERE id = 2`)) !== undefined);

  t.same(await columnsOf(b), await columnsOf(a), 'b has the columns with a\'s types, nullability, defaults and order');
  t.same((await columnsOf(b)).map((c) => c.c), ['id', 'body', 'label', 'score', 'updated_at']);
  t.same(await one(b, `SELECT label, score FROM ${TABLE} WHERE id = 2`), { label: 'gold', score: '12.34' }, 'the row arrived with its values in the new columns');
  t.same(await one(b, `SELECT label, score FROM ${TABLE} WHERE id = 1`), { label: 'none', score: null }, 'the older row holds the defaults, as on a');

  // The other way: b's change events now carry the columns too.
  await b.query(`UPDATE ${TABLE} SET label = 'from b', score = 0.5, updated_at = NOW(6) WHERE id = 2`);
  await waitFor('b\'s update of a new column on a', async () => (await one(a, `SELECT label FROM ${TABLE} WHERE id = 2`))?.label === 'from b');
  t.same(await rowsOf(a), await rowsOf(b), 'both sides hold the same rows');

  t.same(await columnsOf(a).then((cs) => cs.map((c) => c.c)), ['id', 'body', 'label', 'score', 'updated_at'], 'a was not altered again (no DDL loop)');
  t.same(deadLettersFor(proc, TABLE), [], 'no dead letters for the table');
  t.ok(proc.logs.some((l) => l.msg === 'replayed a schema change of a' && l.table === TABLE && /ADD COLUMN label/i.test(String(l.ddl))), 'the sink logged the statement it replayed');
});
