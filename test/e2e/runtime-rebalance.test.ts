// Issue 6: two `tandem run bidirectional` instances in one consumer group split the partitions,
// and no row is lost when the second joins mid-stream or when one of them stops.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { createTopics } from './fixtures/kafka';
import { all, brokers, connectBoth, createTestTable, DEFAULT_TABLES, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, waitFor, type RuntimeProcess } from './fixtures/runtime';

const TABLE = `split_${randomBytes(4).toString('hex')}`;
const PARTITIONS = 4;
const TOPICS = [`a.chat.${TABLE}`, `b.chat.${TABLE}`];
const ALL_PARTITIONS = TOPICS.flatMap((topic) => Array.from({ length: PARTITIONS }, (_, p) => `${topic}[${p}]`));

async function insert(db: Connection, from: number, count: number, body: string): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => [from + i, `${body} ${from + i}`]);
  await db.query(`INSERT INTO ${TABLE} (id, body, updated_at) VALUES ${rows.map(() => '(?, ?, NOW(6))').join(', ')}`, rows.flat());
}

const owned = (...procs: RuntimeProcess[]) => ALL_PARTITIONS.filter((p) => procs.some((proc) => proc.owned.has(p)));

t.test('two instances in one group split the partitions; no row lost across rebalances', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  // The topics exist with several partitions before Debezium writes to them.
  await createTopics(brokers, TOPICS, PARTITIONS);
  await createTestTable([a, b], TABLE);
  const env = runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${TABLE}`, TANDEM_BATCH_ROWS: '20' });
  const first = startRuntime(env);
  t.teardown(() => stopRuntime(first, 'SIGKILL'));
  showLogsOnFailure(t, first);
  await waitFor('the first instance to own all the table\'s partitions', () => owned(first).length === ALL_PARTITIONS.length);

  let nextA = 1;
  const writeA = async (count: number, body: string) => {
    await insert(a, nextA, count, body);
    nextA += count;
  };
  await writeA(100, 'from a');
  await insert(b, 10_001, 100, 'from b');
  const second = startRuntime(env);
  t.teardown(() => stopRuntime(second, 'SIGKILL'));
  showLogsOnFailure(t, second);
  const split = () => {
    const [x, y] = [owned(first), owned(second)];
    return x.length > 0 && y.length > 0 && x.length + y.length === ALL_PARTITIONS.length && owned(first, second).length === ALL_PARTITIONS.length;
  };
  // Keep writing while the second instance joins, so the rebalance happens mid-stream.
  await waitFor('both instances to own partitions, together all of them, none twice', async () => {
    if (nextA <= 2000) await writeA(20, 'from a, mid-rebalance');
    return split();
  });
  t.ok(split(), `split: first ${owned(first).join(' ')}; second ${owned(second).join(' ')}`);
  await writeA(100, 'from a, both running');

  const count = async (db: Connection) => Number((await all(db, `SELECT COUNT(*) AS n FROM ${TABLE}`))[0].n);
  const fromA = () => nextA - 1;
  await waitFor('every row so far on both sides', async () => (await count(a)) === fromA() + 100 && (await count(b)) === fromA() + 100);

  t.equal(await stopRuntime(first, 'SIGTERM'), 0, 'the first instance stops gracefully');
  await writeA(100, 'from a, after the stop');
  await insert(b, 10_101, 50, 'from b, after the stop');
  await waitFor('the second instance to own every partition', () => owned(second).length === ALL_PARTITIONS.length);
  const total = fromA() + 150;
  await waitFor(`all ${total} rows on both sides`, async () => (await count(a)) === total && (await count(b)) === total);

  const content = (db: Connection) => all(db, `SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS(0x1f, id, body, updated_at))) AS h FROM ${TABLE}`);
  const [ca, cb] = await Promise.all([content(a), content(b)]);
  t.equal(Number(cb[0].n), total, 'no row lost');
  t.equal(String(cb[0].h), String(ca[0].h), 'same rows on both sides');
  const ids = (await all(b, `SELECT id FROM ${TABLE} ORDER BY id`)).map((r) => Number(r.id));
  const expected = [...Array.from({ length: fromA() }, (_, i) => i + 1), ...Array.from({ length: 150 }, (_, i) => 10_001 + i)];
  t.same(ids, expected, 'exactly the ids written');
});
