// `tandem dlq` against the live stack (issue 15): a row b refuses (a CHECK constraint only b has)
// is dead-lettered by `tandem run`; `dlq list` and `dlq show` find it with its reason and the
// record decoded; replayed before the fix it is dead again, after the fix it reaches b; replayed
// once b holds a newer row, last-writer-wins keeps that row and b's binlog gets nothing.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { connectBoth, createTestTable, deadLettersFor, one, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, tandem as tandemWith, waitFor } from './fixtures/runtime';

const id = randomBytes(4).toString('hex');
const TABLE = `dlq_${id}`;
// Only this table: a new group reads the topics from their beginning, and the stack shared by the
// e2e tests holds other tests' poison records (make test runs the convergence test first).
const env = runtimeEnv({ TANDEM_TABLES: TABLE, TANDEM_DLQ_TOPIC: `tandem.dlq.e2e-${id}` });
const tandem = (args: string[]) => tandemWith(args, env);

t.test('a dead letter replayed after its cause is fixed reaches the target; a stale replay changes nothing', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  await createTestTable([a, b], TABLE);
  const proc = startRuntime(env);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);
  const onB = (key: number) => one(b, `SELECT body, updated_at FROM ${TABLE} WHERE id = ?`, [key]);
  // Changes made on b alone (sql_log_bin=0): no schema change crosses to a.
  const onBOnly = async (sql: string) => {
    await b.query('SET SESSION sql_log_bin = 0');
    await b.query(sql);
    await b.query('SET SESSION sql_log_bin = 1');
  };

  await a.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES (1, 'fine', NOW(6))`);
  await waitFor('row 1 on b', async () => (await onB(1))?.body === 'fine');
  // The cause: b refuses a body that a accepts.
  await onBOnly(`ALTER TABLE ${TABLE} ADD CONSTRAINT ${TABLE}_no_poison CHECK (body <> 'poison')`);
  await a.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES (2, 'poison', NOW(6))`);
  await a.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES (3, 'after', NOW(6))`);
  await waitFor('row 3 on b', async () => (await onB(3))?.body === 'after');
  await waitFor('the refused row dead-lettered', () => deadLettersFor(proc, TABLE).length === 1);
  const logged = deadLettersFor(proc, TABLE)[0];
  t.equal(await onB(2), undefined, 'row 2 is not on b');
  t.equal(await stopRuntime(proc, 'SIGTERM'), 0, 'tandem run stopped cleanly');

  const list = await tandem(['dlq', 'list', '--json']);
  t.equal(list.status, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { topic: string; deadLetters: { position: string; stage: string; reason: string; origin: { topic: string; partition: number; offset: string } }[] };
  t.equal(listed.topic, `tandem.dlq.e2e-${id}`);
  t.equal(listed.deadLetters.length, 1, 'one dead letter in the topic');
  const [letter] = listed.deadLetters;
  t.match(letter, { stage: logged.stage, reason: /CONSTRAINT .*no_poison.* failed/, origin: { topic: `a.chat.${TABLE}`, partition: logged.partition, offset: String(logged.offset) } });
  const text = await tandem(['dlq', 'list']);
  t.equal(text.status, 0, text.stderr);
  const origin = `a.chat.${TABLE}[${letter.origin.partition}]@${letter.origin.offset}`;
  t.match(text.stdout, new RegExp(`^position +time +stage +origin +reason\\n${letter.position} +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +${logged.stage} +${origin.replace(/[[\].]/g, '\\$&')} +.*no_poison.*\\n1 dead letter in tandem\\.dlq\\.e2e-${id}\\n$`));

  const show = await tandem(['dlq', 'show', letter.position, '--json']);
  t.equal(show.status, 0, show.stderr);
  t.match(JSON.parse(show.stdout), { position: letter.position, stage: logged.stage, record: { op: 'c', key: { id: 2 }, after: { id: 2, body: 'poison' }, source: { name: 'a', table: TABLE } } }, 'the original record, decoded');
  const shown = await tandem(['dlq', 'show', letter.position]);
  t.match(shown.stdout, new RegExp(`^dead letter ${letter.position} of tandem\\.dlq\\.e2e-${id} `));
  t.match(shown.stdout, /^ {8}"body": "poison",$/m);

  const early = await tandem(['dlq', 'replay', letter.position]);
  t.equal(early.status, 1, 'replayed before the fix: dead again, exit 1');
  t.match(early.stdout, new RegExp(`^${letter.position}  ${origin.replace(/[[\].]/g, '\\$&')}  dead again at ${logged.stage}: .*no_poison.*\\nreplayed 1: 1 dead again\\n$`));
  t.equal(await onB(2), undefined, 'still not on b');

  await onBOnly(`ALTER TABLE ${TABLE} DROP CONSTRAINT ${TABLE}_no_poison`);
  const fixed = await tandem(['dlq', 'replay', letter.position]);
  t.equal(fixed.status, 0, fixed.stderr);
  t.equal(fixed.stdout, `${letter.position}  ${origin}  applied\nreplayed 1: 1 applied\n`);
  t.same(await onB(2), await one(a, `SELECT body, updated_at FROM ${TABLE} WHERE id = 2`), 'row 2 on b as a has it, to the microsecond');

  // b's application writes the row again, newer: the replayed record is older and changes nothing.
  await b.query(`UPDATE ${TABLE} SET body = 'newer', updated_at = NOW(6) WHERE id = 2`);
  const before = await one(b, 'SELECT @@gtid_binlog_pos AS pos');
  const stale = await tandem(['dlq', 'replay', '--all', '--json']);
  t.equal(stale.status, 0, stale.stderr);
  t.same(JSON.parse(stale.stdout), { topic: `tandem.dlq.e2e-${id}`, results: [{ position: letter.position, origin: { topic: `a.chat.${TABLE}`, partition: letter.origin.partition, offset: letter.origin.offset, timestamp: JSON.parse(show.stdout).origin.timestamp }, result: 'stale' }] });
  t.equal((await onB(2))?.body, 'newer', 'b keeps its newer row');
  t.same(await one(b, 'SELECT @@gtid_binlog_pos AS pos'), before, 'and wrote nothing to its binlog');
});

t.test('dlq show and replay of a position the topic does not hold: exit 2, saying what it holds', async (t) => {
  const show = await tandem(['dlq', 'show', '9999']);
  t.equal(show.status, 2);
  t.match(show.stderr, new RegExp(`^tandem dlq: no dead letter at 9999 in tandem\\.dlq\\.e2e-${id} \\(it holds partition 0 offsets 0\\.\\.0\\)\\n$`));
  const replay = await tandem(['dlq', 'replay', '0', '5:1']);
  t.equal(replay.status, 2);
  t.match(replay.stderr, /^tandem dlq: no dead letter at 5:1 in /);
});
