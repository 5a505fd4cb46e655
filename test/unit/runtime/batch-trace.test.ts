// The `batch` debug line: which records a batch held and when its phases ended, read back the way
// make bench-lag reads it to split a slow row's lag.
import t from 'tap';
import { createLogger } from '../../../lib/observe';
import { offsetRanges } from '../../../lib/model';
import { Runtime } from '../../../lib/runtime/runtime';
import { testRetryPolicy } from '../../../lib/errors';
import { batchOf, indexBatchTrace, splitRow, summarize } from '../../../bench/support/lag-split';
import { FakeConsumer, FakeDeadLetters, FakePipeline, fakeDecoder, record } from './fixtures/fakes';

const sources = [{ name: 'a-to-b', topics: [/a\.chat\..*/] }];

async function runWith(level: 'debug' | 'info', records: ReturnType<typeof record>[]): Promise<string[]> {
  const lines: string[] = [];
  const consumer = new FakeConsumer();
  for (const r of records) consumer.add(r);
  const rt = new Runtime({
    consumer,
    deadLetters: new FakeDeadLetters(),
    pipeline: new FakePipeline(sources),
    decoder: fakeDecoder,
    logger: createLogger({ json: true, level, write: (l) => lines.push(l) }).child('runtime'),
    batchRows: 3,
    retryPolicy: testRetryPolicy,
  });
  consumer.onIdle = () => rt.stop();
  await rt.run();
  return lines.filter((l) => l.includes('"msg":"batch"'));
}

t.test('offsetRanges: per partition, its offsets as runs of consecutive ones, whatever the order', async (t) => {
  const r = (topic: string, partition: number, offset: number | string) => ({ topic, partition, offset: typeof offset === 'number' ? BigInt(offset) : offset });
  t.same(offsetRanges([r('a.chat.m', 1, 7), r('a.chat.m', 0, 3), r('a.chat.m', 1, 5), r('a.chat.r', 1, '9'), r('a.chat.m', 1, 6), r('a.chat.m', 1, 10), r('a.chat.m', 1, 12), r('a.chat.m', 1, 11)]), [
    'a.chat.m[1]@5-7,10-12',
    'a.chat.m[0]@3',
    'a.chat.r[1]@9',
  ]);
  t.same(offsetRanges([]), []);
});

t.test('at debug, each finished batch is logged with its records, timestamps and phases; the bench finds every record in it', async (t) => {
  const now = Date.now();
  const records = [0, 1, 2, 3, 4].map((i) => ({ ...record('a.chat.m', i % 2, 100 + i, `m${i}`), timestamp: now - 50 + i }));
  const lines = await runWith('debug', records);
  t.ok(lines.length >= 1, `${lines.length} batch lines`);
  const batches = lines.map((l) => JSON.parse(l) as { component: string; direction: string; records: number; offsets: string[]; oldestRecordMs: number; newestRecordMs: number; dispatchedAtMs: number; finishedAtMs: number; ms: Record<string, number> });
  t.equal(batches.reduce((s, b) => s + b.records, 0), records.length, 'every record in one logged batch');
  for (const b of batches) {
    t.equal(b.component, 'tandem.runtime');
    t.equal(b.direction, 'a-to-b');
    t.ok(b.oldestRecordMs >= now - 50 && b.newestRecordMs <= now - 46 && b.oldestRecordMs <= b.newestRecordMs, 'record timestamps as given');
    t.ok(b.dispatchedAtMs <= b.finishedAtMs && b.finishedAtMs <= Date.now(), 'dispatched, then finished, on the wall clock');
    t.same(Object.keys(b.ms), ['laneWait', 'decodeWait', 'stages', 'sink', 'publish']);
    const spent = Object.values(b.ms).reduce((s, x) => s + x, 0);
    t.ok(Math.abs(b.finishedAtMs - b.dispatchedAtMs - spent) < 0.1, 'the phases add up to dispatch -> finish');
  }
  const index = indexBatchTrace(lines.join('\n') + '\nnot json\n{"msg":"batch"}', 'a.chat.m');
  for (const r of records) t.ok(batchOf(index, r.partition, Number(r.offset)), `offset ${r.offset} of partition ${r.partition} found in its batch`);
  t.equal(batchOf(index, 0, 99), undefined, 'an offset no batch held');
  t.equal(indexBatchTrace(lines.join('\n'), 'a.chat.other').batches.size, 0, "another topic's ranges are not taken");
});

t.test("splitRow: a row's share split by its batch and its own flush, flushes interleaving within a partition", async (t) => {
  const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 'debug', component: 'tandem.x', ...fields });
  const log = [
    line({ msg: 'batch', offsets: ['t[0]@100-105'], dispatchedAtMs: 1010, finishedAtMs: 1100, ms: { laneWait: 1, decodeWait: 1, stages: 8, sink: 80, publish: 0 } }),
    // Two connections' flushes of the one batch: keys spread, offsets interleaved.
    line({ msg: 'flush', offsets: ['t[0]@100,102,104-105'], startedAtMs: 1025, committedAtMs: 1040 }),
    line({ msg: 'flush', offsets: ['t[0]@101,103'], startedAtMs: 1030, committedAtMs: 1100 }),
  ].join('\n');
  const index = indexBatchTrace(log, 't');
  t.same(splitRow(index, { partition: 0, offset: 104, recordMs: 1000, visibleMs: 1043 }), { kafka: 10, queue: 10, sinkWait: 5, transaction: 15, seen: 3 });
  t.same(splitRow(index, { partition: 0, offset: 103, recordMs: 1000, visibleMs: 1102 }), { kafka: 10, queue: 10, sinkWait: 10, transaction: 70, seen: 2 });
  t.equal(splitRow(index, { partition: 0, offset: 106, recordMs: 1000, visibleMs: 1100 }), undefined, 'in no batch');
  t.equal(splitRow(index, { partition: 1, offset: 100, recordMs: 1000, visibleMs: 1100 }), undefined, 'another partition');
});

t.test('at info, no batch line', async (t) => {
  const lines = await runWith('info', [record('a.chat.m', 0, 1, 'x')]);
  t.same(lines, []);
});

t.test("summarize: p50/p99 per part, and the slowest 1 %'s mean", async (t) => {
  const splits = Array.from({ length: 200 }, (_, i) => ({ kafka: 1, queue: 0, sinkWait: 0, transaction: i < 197 ? 10 : 100, seen: 2 }));
  const s = summarize(splits);
  t.equal(s?.rows, 200);
  t.same(s?.p50, { kafka: 1, queue: 0, sinkWait: 0, transaction: 10, seen: 2 });
  t.equal(s?.p99.transaction, 100);
  t.same(s?.tail, { kafka: 1, queue: 0, sinkWait: 0, transaction: 100, seen: 2, rows: 2, total: 103 });
  t.equal(summarize([]), undefined);
});
