// Parallel apply (TANDEM_SINK_CONNECTIONS): the sink flushes each Kafka partition's rows on a
// connection of its own, and lanes write concurrently. The same changes, written that way with
// the partitions' order shuffled against each other, must leave exactly what one connection
// writing them in their original order leaves: the LWW guard and the tombstones make the order
// across partitions free, and one key never leaves its partition.
import t from 'tap';
import type { ChangeEvent, Sink, SinkWriteResult } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { createLogger } from '../../../lib/observe';
import { Random } from '../../../lib/workload/random';
import { del, rows, testDb, uniqueTable, upsert, ts, type TestDb } from '../fixtures/db';

let db: TestDb;
const CENTURY_MS = 100 * 365 * 86_400_000;
const PARTITIONS = 4;
const sinks: Sink[] = [];

t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

async function table(prefix: string): Promise<string> {
  const name = uniqueTable(prefix);
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  return name;
}

function sinkFor(name: string, connections: number, onDeadlock?: () => void): Sink {
  const s = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 0, maxRows: 50, connections, tombstoneRetentionMs: CENTURY_MS, ...(onDeadlock ? { onDeadlock } : {}) });
  sinks.push(s);
  return s;
}

/** One key's changes in its partition's order: upserts and deletes, versions rising, some equal. */
function changes(target: string, seed: number, keys: number, perKey: number): ChangeEvent[][] {
  const rnd = new Random(seed);
  const byPartition: ChangeEvent[][] = Array.from({ length: PARTITIONS }, () => []);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const clock = new Map<number, number>();
  for (let step = 0; step < keys * perKey; step++) {
    const id = rnd.int(1, keys);
    // Equal versions now and then: the content hash decides, in any order.
    const second = (clock.get(id) ?? 0) + (rnd.chance(0.2) ? 0 : rnd.int(1, 3));
    clock.set(id, second);
    const at = `2024-01-01 00:${String(Math.floor(second / 60) % 60).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.${String(rnd.int(0, 2)).padStart(6, '0')}`;
    const e = rnd.chance(0.25) ? del(target, { id }, at) : upsert(target, { id, body: `v${step}-${rnd.int(0, 9)}`, updated_at: ts(at) });
    const partition = id % PARTITIONS;
    byPartition[partition].push({ ...e, kafka: { topic: `a.chat.${target}`, partition, offset: String(offsets[partition]++), timestamp: 0 } });
  }
  return byPartition;
}

/** Retargets every event at `table` (the serial and the parallel run write tables of their own). */
const retarget = (events: ChangeEvent[], table: string): ChangeEvent[] => events.map((e) => ({ ...e, source: { ...e.source, table }, target: { table } }));

async function contents(name: string) {
  return rows(db.admin, `SELECT id, body, updated_at FROM chat.${name} ORDER BY id`);
}

async function tombstones(name: string) {
  return rows(db.admin, 'SELECT pk, deleted_at FROM chat.tandem_tombstones WHERE tbl = ? ORDER BY pk', [name]);
}

t.test('four connections, concurrent lanes, partitions shuffled against each other: the same rows and tombstones as one connection in order', async (t) => {
  const serial = await table('serial');
  const parallel = await table('parallel');
  const parts = changes('x', 20261130, 300, 8);
  const all = parts.flat();
  t.ok(all.some((e) => e.op === 'd') && all.some((e) => e.op !== 'd'), 'deletes and upserts');

  // One connection, every change in partition order, partition after partition.
  const one = sinkFor(serial, 1);
  for (const p of parts) await one.write(retarget(p, serial));

  // Four connections; three lanes write slices of every partition at once, in an order no lane
  // shares with the others (each partition's own slices stay in order across write() calls).
  let deadlocks = 0;
  const four = sinkFor(parallel, 4, () => deadlocks++);
  const rnd = new Random(7);
  const slices = parts.map((p) => {
    const out: ChangeEvent[][] = [];
    for (let i = 0, n = rnd.int(5, 40); i < p.length; i += n, n = rnd.int(5, 40)) out.push(p.slice(i, i + n));
    return out;
  });
  const results: SinkWriteResult[] = [];
  const lanes = Array.from({ length: 3 }, async () => {
    for (;;) {
      const open = slices.filter((s) => s.length > 0);
      if (open.length === 0) return;
      // Writing a partition's next slice only once its previous one is durable keeps its order.
      const pick = open[rnd.int(0, open.length - 1)];
      const slice = pick.shift() as ChangeEvent[];
      results.push(await four.write(retarget(slice, parallel)));
    }
  });
  await Promise.all(lanes);

  t.same(await contents(parallel), await contents(serial), 'same rows');
  t.same(await tombstones(parallel), await tombstones(serial), 'same tombstones');
  const counted = results.reduce((n, r) => n + r.applied + r.skipped + r.deadLetters.length, 0);
  t.equal(counted, all.length, 'every change counted once, applied or skipped, over the connections');
  t.comment(`${deadlocks} deadlocks between the parallel flushes, each retried`);
});

t.test('one write spanning partitions resolves once all its connections committed, with their counts summed', async (t) => {
  const name = await table('span');
  const sink = sinkFor(name, 4);
  const events = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({
    ...upsert(name, { id, body: `b${id}`, updated_at: ts('2024-01-01 00:00:01') }),
    kafka: { topic: `a.chat.${name}`, partition: id % PARTITIONS, offset: String(id), timestamp: 0 },
  }));
  const r = await sink.write(events);
  t.same({ applied: r.applied, skipped: r.skipped, tables: r.tables }, { applied: 8, skipped: 0, tables: { [name]: { applied: 8, skipped: 0 } } });
  t.equal((await contents(name)).length, 8, 'all rows durable when write() resolved');
  const again = await sink.write(events);
  t.same({ applied: again.applied, skipped: again.skipped }, { applied: 0, skipped: 8 }, 'a replay is refused by the guard on every connection');
});

t.test('a write of few rows spanning partitions is one transaction; a large one uses every connection', async (t) => {
  const name = await table('coalesce');
  const flushes: number[] = [];
  const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 0, maxRows: 50, connections: 4, tombstoneRetentionMs: CENTURY_MS, onFlush: (rows) => flushes.push(rows) });
  t.teardown(() => sink.close());
  const spread = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...upsert(name, { id: from + i, body: `b${from + i}`, updated_at: ts('2024-01-01 00:00:01') }),
      kafka: { topic: `a.chat.${name}`, partition: (from + i) % PARTITIONS, offset: String(from + i), timestamp: 0 },
    }));
  await sink.write(spread(1, 8));
  t.same(flushes, [8], '8 rows of 4 partitions: one flush (at most maxRows / connections = 12 go together)');
  flushes.length = 0;
  await sink.write(spread(100, 160));
  t.equal(flushes.length, 4, '160 rows of 4 partitions: a flush per connection');
  t.equal(flushes.reduce((a, b) => a + b, 0), 160);
  t.equal((await contents(name)).length, 168, 'every row durable');
});

t.test("at debug, each committed flush is logged with its rows' offsets and its transaction's wall-clock span", async (t) => {
  const name = await table('trace');
  const lines: string[] = [];
  const sinkAt = (level: 'debug' | 'info') =>
    mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 0, maxRows: 50, connections: 4, tombstoneRetentionMs: CENTURY_MS, logger: createLogger({ json: true, level, write: (l) => lines.push(l) }) });
  const events = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...upsert(name, { id: from + i, body: `b${from + i}`, updated_at: ts('2024-01-01 00:00:01') }),
      kafka: { topic: `a.chat.${name}`, partition: (from + i) % PARTITIONS, offset: String(from + i), timestamp: 0 },
    }));
  const quiet = sinkAt('info');
  t.teardown(() => quiet.close());
  await quiet.write(events(1, 8));
  t.same(lines.filter((l) => l.includes('"msg":"flush"')), [], 'nothing at info');
  const sink = sinkAt('debug');
  t.teardown(() => sink.close());
  const before = Date.now();
  await sink.write(events(100, 160));
  const flushes = lines.filter((l) => l.includes('"msg":"flush"')).map((l) => JSON.parse(l) as { rows: number; offsets: string[]; startedAtMs: number; committedAtMs: number; ms: number });
  t.equal(flushes.length, 4, 'one line per transaction');
  const seen = new Map<number, number[]>();
  for (const f of flushes) {
    t.ok(f.startedAtMs >= before - 1 && f.committedAtMs <= Date.now() && Math.abs(f.committedAtMs - f.startedAtMs - f.ms) < 0.02, 'began, then committed, during the write');
    let n = 0;
    for (const r of f.offsets) {
      const m = /^a\.chat\.[a-z0-9_]+\[(\d+)\]@([\d,-]+)$/.exec(r);
      t.ok(m, r);
      if (!m) continue;
      const partition = Number(m[1]);
      const offsets = seen.get(partition) ?? [];
      seen.set(partition, offsets);
      for (const run of m[2].split(',')) {
        const [a, b = a] = run.split('-').map(Number);
        for (let o = a; o <= b; o++, n++) offsets.push(o);
      }
    }
    t.equal(n, f.rows, 'its offsets are its rows');
  }
  for (let p = 0; p < PARTITIONS; p++) {
    t.same(seen.get(p)?.sort((x, y) => x - y), events(100, 160).filter((e) => e.kafka.partition === p).map((e) => Number(e.kafka.offset)), `partition ${p}: every offset in one flush line`);
  }
});
