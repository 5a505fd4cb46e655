// The happy paths of `tandem stack status`, `doctor`, `setup`/`teardown` and `verify` through
// bin/tandem (what the Makefile runs) against the live stack; `run` is what every e2e test starts
// (fixtures/runtime.ts), `dlq` is dlq-replay.test.ts, `describe` test/unit/cli/commands.test.ts.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { all, connectBoth, createTestTable, tandem as tandemWith } from './fixtures/runtime';

const TABLE = `cli_${randomBytes(4).toString('hex')}`;
const tandem = (args: string[]) => tandemWith(args, process.env);

t.test('tandem stack status: every part up and both source connectors running, exit 0', async (t) => {
  const r = await tandem(['stack', 'status']);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')).filter((l) => l.trim() !== ''), [
    'db-a up',
    'db-b up',
    'kafka up',
    'registry up',
    'connect up',
    'connector tandem-source-a',
    'connector tandem-source-b',
  ]);
  t.match(r.stdout, /^connector tandem-source-a RUNNING/m);
});

t.test('tandem doctor --json on the stack: nothing refused, exit 0', async (t) => {
  const r = await tandem(['doctor', '--json']);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { level: string }[]; exitCode: number };
  t.equal(out.exitCode, 0);
  t.same(out.findings.filter((f) => f.level === 'refused'), []);
});

t.test('tandem setup, verify and teardown on a table of the test\'s own', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  await createTestTable([a, b], TABLE);
  const triggers = async () => (await all(b, 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?', [TABLE])).length;
  const setup = await tandem(['setup', '--tables', TABLE]);
  t.equal(setup.status, 0, setup.stderr);
  t.match(setup.stdout, new RegExp(`^installed tandem_tombstones and triggers for ${TABLE} on mysql://tandem:\\*\\*\\*@`));
  t.equal(await triggers(), 3, 'insert, update and delete triggers on b');
  for (const db of [a, b]) await db.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES (1, 'same', '2026-01-01 00:00:01')`);
  const same = await tandem(['verify', '--tables', TABLE]);
  t.equal(same.status, 0, same.stdout);
  t.match(same.stdout, /\nOK: identical\n$/);
  await b.query(`UPDATE ${TABLE} SET body = 'different' WHERE id = 1`);
  const drift = await tandem(['verify', '--tables', TABLE, '--json']);
  t.equal(drift.status, 1, 'drift: exit 1');
  t.match(JSON.parse(drift.stdout), { ok: false, tables: [{ table: TABLE, rowsA: 1, rowsB: 1 }] });
  const teardown = await tandem(['teardown', '--tables', TABLE]);
  t.equal(teardown.status, 0, teardown.stderr);
  t.equal(await triggers(), 0, 'the triggers are gone');
});
