// Issue 6: no loop. After writes on both sides settle, the change topics stop growing, and each
// topic holds exactly the events the writes explain: every change crosses once, its echo never reaches Kafka.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { offsetReader } from './fixtures/kafka';
import { all, brokers, connectBoth, createTestTable, DEFAULT_TABLES, deadLettersFor, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, waitFor } from './fixtures/runtime';

const TABLE = `quiet_${randomBytes(4).toString('hex')}`;
const INSERTS_ON_A = 40;
const UPDATES_ON_B = 15;
/** How long the topics must stay unchanged, polled every half second. */
const QUIET_MS = 10_000;

t.test('change events stay bounded over a quiet period after the writes', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  const kafka = await offsetReader(brokers);
  t.teardown(() => kafka.close());
  await createTestTable([a, b], TABLE);
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${TABLE}` }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);

  const rows = Array.from({ length: INSERTS_ON_A }, (_, i) => [i + 1, `row ${i + 1}`]);
  await a.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES ${rows.map(() => '(?, ?, NOW(6))').join(', ')}`, rows.flat());
  const count = async (db: typeof a, where = '1') => Number((await all(db, `SELECT COUNT(*) AS n FROM ${TABLE} WHERE ${where}`))[0].n);
  await waitFor(`the ${INSERTS_ON_A} rows on b`, async () => (await count(b)) === INSERTS_ON_A);
  for (let id = 1; id <= UPDATES_ON_B; id++) await b.query(`UPDATE ${TABLE} SET body = ?, updated_at = NOW(6) WHERE id = ?`, [`edited on b ${id}`, id]);
  await b.query(`DELETE FROM ${TABLE} WHERE id = ?`, [INSERTS_ON_A]);
  await waitFor('b\'s updates and delete on a', async () => (await count(a, "body LIKE 'edited on b%'")) === UPDATES_ON_B && (await count(a)) === INSERTS_ON_A - 1);

  // Each application change is one event on its side's topic, a delete one more (its Kafka
  // tombstone). Tandem's write of it on the other side never reaches Kafka: the connector drops it
  // (lib/stack/connect.ts echoFilter), all but the tombstone of a delete, which has no value to test.
  const expected = { [`a.chat.${TABLE}`]: INSERTS_ON_A + 1, [`b.chat.${TABLE}`]: UPDATES_ON_B + 2 };
  const mine = (topic: string) => topic in expected;
  const atExpected = async () => {
    const now = await kafka.endOffsets(mine);
    return Object.entries(expected).every(([topic, n]) => now.get(topic) === n);
  };
  await waitFor(`the table's topics at ${JSON.stringify(expected)} events`, atExpected);
  t.same(Object.fromEntries(await kafka.endOffsets(mine)), expected, 'each change crossed once, and no echo reached Kafka');

  const changeTopics = (topic: string) => /^[ab]\.chat\./.test(topic);
  const settled = await kafka.endOffsets(changeTopics);
  const quietUntil = Date.now() + QUIET_MS;
  while (Date.now() < quietUntil) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await kafka.endOffsets(changeTopics);
    const grown = [...now].filter(([topic, n]) => n !== settled.get(topic));
    if (grown.length) t.fail(`change topics grew during the quiet period: ${grown.map(([topic, n]) => `${topic} ${settled.get(topic)} → ${n}`).join(', ')}`);
    if (grown.length) break;
  }
  t.same(Object.fromEntries(await kafka.endOffsets(changeTopics)), Object.fromEntries(settled), `no a.chat.* or b.chat.* topic grew over ${QUIET_MS / 1000} s`);
  t.same(deadLettersFor(proc, TABLE), [], 'no dead letters');
});
