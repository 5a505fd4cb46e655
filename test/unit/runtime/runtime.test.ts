import t, { type Test } from 'tap';
import { testRetryPolicy, retriable } from '../../../lib/errors';
import type { ChangeEvent } from '../../../lib/model';
import { Metrics, createLogger, type RuntimeMonitor } from '../../../lib/observe';
import type { RecordDecoder } from '../../../lib/runtime/ports';
import { Runtime } from '../../../lib/runtime/runtime';
import { FakeAudits, FakeConsumer, FakeDeadLetters, FakePipeline, fakeDecoder, quietLogger, record } from './fixtures/fakes';

const sources = [
  { name: 'a-to-b', topics: [/a\.chat\..*/] },
  { name: 'b-to-a', topics: ['b.chat.t'] },
];

function setup(opts: { batchRows?: number; maxInFlight?: number; maxBatchRecords?: number; stuckAfterMs?: number; commitIntervalMs?: number; consumer?: FakeConsumer; audit?: boolean; monitor?: RuntimeMonitor } = {}) {
  const consumer = opts.consumer ?? new FakeConsumer();
  const pipeline = new FakePipeline(sources);
  const dlq = new FakeDeadLetters();
  const audits = new FakeAudits(consumer);
  const make = () =>
    new Runtime({ consumer, deadLetters: dlq, ...(opts.audit ? { audits } : {}), pipeline, decoder: fakeDecoder, logger: quietLogger(), batchRows: opts.batchRows ?? 3, maxInFlight: opts.maxInFlight, maxBatchRecords: opts.maxBatchRecords, stuckAfterMs: opts.stuckAfterMs, commitIntervalMs: opts.commitIntervalMs, retryPolicy: testRetryPolicy, monitor: opts.monitor });
  return { consumer, pipeline, dlq, audits, make };
}

/** Holds every batch with records of `topic` in the pipeline until the returned function is called. */
function holdBatchesOf(pipeline: FakePipeline, topic: string): () => void {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const run = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (source, events) => {
    if (events.some((e) => e.kafka?.topic === topic)) await held;
    return run(source, events);
  };
  return release;
}

/** Stops the runtime the first time the fake log is fully consumed. */
function stopWhenIdle(consumer: FakeConsumer, rt: Runtime): void {
  consumer.onIdle = () => rt.stop();
}

t.test('applies each partition in order, per source, and commits last+1 after the sink', async (t) => {
  const { consumer, pipeline, make } = setup();
  for (let i = 0; i < 7; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  for (let i = 0; i < 4; i++) consumer.add(record('b.chat.t', 0, 10 + i, `b${i}`));
  const rt = make();
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
  t.same(pipeline.applied['b-to-a'], ['b0', 'b1', 'b2', 'b3']);
  t.same(consumer.committed(), { 'a.chat.t:0': '7', 'b.chat.t:0': '14' });
  t.equal(rt.counters.snapshot().recordsIn, 11);
  t.equal(rt.counters.snapshot().recordsOut, 11);
  t.ok(pipeline.closed, 'sinks closed on stop');
  t.ok(consumer.disconnected, 'consumer disconnected on stop');
});

t.test("a source's dropsServerIds reach the decoder as withoutRowsFrom, for that source's records only", async (t) => {
  const consumer = new FakeConsumer();
  const echoes = new Set([4100]);
  const pipeline = new FakePipeline([{ ...sources[0], dropsServerIds: echoes }, sources[1]]);
  const seen: Record<string, (ReadonlySet<number> | undefined)[]> = {};
  const decoder: RecordDecoder = {
    decode: (r, options) => fakeDecoder.decode(r, options),
    decodeCached(r, options) {
      (seen[r.topic] ??= []).push(options?.withoutRowsFrom);
      return undefined;
    },
  };
  consumer.add(record('a.chat.t', 0, 0, 'a0'));
  consumer.add(record('b.chat.t', 0, 0, 'b0'));
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder, logger: quietLogger(), batchRows: 3, retryPolicy: testRetryPolicy });
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(seen['a.chat.t'], [echoes], "a-to-b's records are decoded without the rows of server 4100");
  t.same(seen['b.chat.t'], [undefined], 'b-to-a has no such stage: whole');
  t.same(pipeline.applied['a-to-b'], ['a0']);
});

t.test('commitIntervalMs: the batches finished within an interval share one commit, and the last one is committed without a stop', async (t) => {
  const { consumer, make } = setup({ commitIntervalMs: 500 });
  for (let i = 0; i < 90; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  const rt = make();
  let asyncCommits = -1;
  consumer.onIdle = () => {
    if (asyncCommits >= 0 || consumer.committed()['a.chat.t:0'] !== '90') return;
    asyncCommits = consumer.commits.length;
    rt.stop();
  };
  await rt.run();
  t.ok(asyncCommits >= 1 && asyncCommits < 5, `30 batches, ${asyncCommits} commits before the stop (one per batch without the interval)`);
  t.same(consumer.committed(), { 'a.chat.t:0': '90' });
});

t.test('commitIntervalMs: a stop does not wait for the interval; the final commit takes what is finished', async (t) => {
  const { consumer, make } = setup({ commitIntervalMs: 3_600_000 });
  for (let i = 0; i < 90; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  const rt = make();
  stopWhenIdle(consumer, rt);
  const started = Date.now();
  await rt.run();
  t.same(consumer.committed(), { 'a.chat.t:0': '90' });
  t.equal(consumer.commits.length, 2, 'the first batch at once, the rest by the final commit');
  t.ok(Date.now() - started < 60_000, 'run() resolved without waiting for the pending commit');
});

/** librdkafka reports an asynchronous commit's failure only to a callback: here every one is lost. */
class LosesAsyncCommits extends FakeConsumer {
  override async commit(offsets: Parameters<FakeConsumer['commit']>[0], sync?: boolean): Promise<void> {
    if (sync) await super.commit(offsets);
  }
}

t.test('the final commit repeats positions whose asynchronous commit was lost', async (t) => {
  const { consumer, make } = setup({ consumer: new LosesAsyncCommits() });
  for (let i = 0; i < 7; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  const rt = make();
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(consumer.committed(), { 'a.chat.t:0': '7' });
});

t.test('poison records and refused events go to dead letters with their bytes; the partition moves on', async (t) => {
  const { consumer, pipeline, dlq, make } = setup();
  consumer.add(record('a.chat.t', 0, 0, 'ok0'));
  consumer.add(record('a.chat.t', 0, 1, 'BAD'));
  consumer.add(record('a.chat.t', 0, 2, null));
  consumer.add(record('a.chat.t', 0, 3, 'NOROUTE'));
  consumer.add(record('a.chat.t', 0, 4, 'ok4'));
  consumer.add(record('c.other', 0, 0, 'stray'));
  const rt = make();
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['ok0', 'ok4']);
  const summary = dlq.letters.map((l) => [l.stage, l.kafka?.topic, l.kafka?.offset, l.raw?.value?.toString()]);
  t.same(summary.sort(), [
    ['decode', 'a.chat.t', '1', 'BAD'],
    ['route', 'a.chat.t', '3', 'NOROUTE'],
    ['route', 'c.other', '0', 'stray'],
  ]);
  t.match(dlq.letters.find((l) => l.stage === 'decode')?.reason, /unknown schema id 99/);
  t.same(consumer.committed(), { 'a.chat.t:0': '5', 'c.other:0': '1' });
  t.equal(rt.counters.snapshot().deadLettered, 3);
});

t.test('a stop does not wait for a dead-letter publish Kafka never acknowledges: that batch is left undone, the rest committed', async (t) => {
  const { consumer, pipeline, dlq, make } = setup({ batchRows: 1 });
  consumer.add(record('a.chat.t', 0, 0, 'ok0'));
  consumer.add(record('a.chat.t', 0, 1, 'BAD'));
  // Kafka away: a delivery report would take message.timeout.ms (minutes).
  let publishing!: () => void;
  const started = new Promise<void>((r) => (publishing = r));
  dlq.publish = () => (publishing(), new Promise<void>(() => undefined));
  const rt = make();
  const running = rt.run();
  await started;
  rt.stop();
  const ended = await Promise.race([running.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 5000))]);
  t.equal(ended, 'stopped', 'run() ends without the acknowledgement');
  t.same(pipeline.applied['a-to-b'], ['ok0']);
  t.same(consumer.committed(), { 'a.chat.t:0': '1' }, 'the record whose dead letter was not acknowledged is read again on the next start');
  t.equal(rt.counters.snapshot().deadLettered, 0);
});

t.test('a fatal sink error stops the loop and commits nothing past the failed batch', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 2 });
  for (let i = 0; i < 6; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let calls = 0;
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e) => {
    calls++;
    if (calls === 2) throw new Error('table chat.t does not exist');
    return original(s, e);
  };
  const rt = make();
  await t.rejects(rt.run(), { kind: 'fatal', message: /table chat.t does not exist/ });
  t.same(pipeline.applied['a-to-b'], ['a0', 'a1']);
  t.same(consumer.committed(), { 'a.chat.t:0': '2' }, 'only the batch the sink finished is committed');
});

t.test('retriable sink errors are retried in place, the batch applied once it succeeds', async (t) => {
  const { consumer, pipeline, make } = setup();
  consumer.add(record('b.chat.t', 0, 0, 'x'));
  let calls = 0;
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e) => {
    if (++calls < 3) throw retriable('deadlock found');
    return original(s, e);
  };
  const rt = make();
  // A stop request would cut the wait short: stop once the record is committed.
  consumer.onIdle = () => consumer.committed()['b.chat.t:0'] === '1' && rt.stop();
  await rt.run();
  t.equal(calls, 3);
  t.same(pipeline.applied['b-to-a'], ['x']);
  t.same(consumer.committed(), { 'b.chat.t:0': '1' });
});

t.test('backpressure: a slow sink pauses its partitions instead of buffering, then resumes', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 5, maxInFlight: 10 });
  for (let i = 0; i < 100; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let release!: () => void;
  pipeline.gate = new Promise((r) => (release = r));
  const rt = make();
  let maxConsumedAhead = 0;
  const consume = consumer.consume.bind(consumer);
  let idleRounds = 0;
  consumer.consume = async (n) => {
    const out = await consume(n);
    const ahead = (consumer.positions.get('a.chat.t:0') ?? 0) - (pipeline.applied['a-to-b']?.length ?? 0);
    maxConsumedAhead = Math.max(maxConsumedAhead, ahead);
    if (out.length === 0 && consumer.paused.size > 0 && ++idleRounds === 5) release();
    return out;
  };
  consumer.onIdle = () => {
    if (consumer.paused.size === 0 && (consumer.positions.get('a.chat.t:0') ?? 0) === 100) rt.stop();
  };
  await rt.run();
  t.ok(consumer.pauseCalls >= 1, 'paused at least once');
  t.ok(maxConsumedAhead <= 15, `consumed at most maxInFlight + one batch ahead of the sink (was ${maxConsumedAhead})`);
  t.equal(pipeline.applied['a-to-b'].length, 100);
  t.same(consumer.committed(), { 'a.chat.t:0': '100' });
});

/**
 * 40 records of one lane while the sink holds its first batch for 300 ms: how far the loop
 * consumed meanwhile; then the sink lets go and everything is applied.
 */
async function consumedWhileSinkHolds(t: Test, opts: Parameters<typeof setup>[0]) {
  const { consumer, pipeline, make } = setup(opts);
  for (let i = 0; i < 40; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let release!: () => void;
  pipeline.gate = new Promise((r) => (release = r));
  const rt = make();
  consumer.onIdle = () => {
    if (pipeline.applied['a-to-b']?.length === 40) rt.stop();
  };
  const running = rt.run();
  await new Promise((r) => setTimeout(r, 300));
  const consumed = consumer.positions.get('a.chat.t:0') ?? 0;
  const pauseCalls = consumer.pauseCalls;
  release();
  await running;
  t.same(pipeline.applied['a-to-b'], Array.from({ length: 40 }, (_, i) => `a${i}`), 'all applied once the sink lets go');
  t.same(consumer.committed(), { 'a.chat.t:0': '40' });
  return { consumed, pauseCalls };
}

t.test('a busy lane holds the loop at maxInFlight: it stops consuming, and pauses nothing (a pause drops the prefetch); the metrics count the time held back', async (t) => {
  const metrics = new Metrics({ processMetrics: false });
  const { consumed, pauseCalls } = await consumedWhileSinkHolds(t, { batchRows: 5, maxInFlight: 10, stuckAfterMs: 60_000, monitor: metrics });
  t.ok(consumed >= 10 && consumed <= 15, `consumed up to maxInFlight plus one consume call, then waited (${consumed})`);
  t.equal(pauseCalls, 0, 'nothing paused');
  const held = /^tandem_consume_held_back_seconds_total (\S+)$/m.exec((await metrics.exposition()).body);
  t.ok(held && Number(held[1]) > 0, `time held back counted (${held?.[1]} s)`);
});

// By default the loop holds one lane's largest batch (2 × batchRows) and no more: twice that held
// a fifth more memory at the peak of a drain for no more rows/s (docs/runtime.md, "Memory").
t.test('by default the loop stops consuming at 2 × batchRows records in flight', async (t) => {
  const { consumed } = await consumedWhileSinkHolds(t, { batchRows: 5, stuckAfterMs: 60_000 });
  t.ok(consumed >= 10 && consumed <= 15, `consumed 2 × batchRows plus at most one consume call, then waited (${consumed})`);
});

t.test('a lane whose batch is stuck is paused, and the other tables go on', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 5, maxInFlight: 10, stuckAfterMs: 50 });
  for (let i = 0; i < 20; i++) consumer.add(record('a.chat.t', 0, i, `t${i}`));
  for (let i = 0; i < 20; i++) consumer.add(record('a.chat.u', 0, i, `u${i}`));
  const release = holdBatchesOf(pipeline, 'a.chat.t');
  const rt = make();
  const uDone = new Promise<void>((resolve) => {
    consumer.onIdle = () => {
      const applied = pipeline.applied['a-to-b'] ?? [];
      if (applied.filter((v) => v.startsWith('u')).length === 20) resolve();
      if (applied.length === 40) rt.stop();
    };
  });
  const running = rt.run();
  await uDone;
  t.ok(consumer.paused.has('a.chat.t:0'), "the stuck table's partition is paused");
  t.equal((pipeline.applied['a-to-b'] ?? []).filter((v) => v.startsWith('t')).length, 0, 'nothing of the stuck table applied yet');
  release();
  await running;
  t.notOk(consumer.paused.has('a.chat.t:0'), 'resumed once its batch was done');
  t.same((pipeline.applied['a-to-b'] ?? []).filter((v) => v.startsWith('t')), Array.from({ length: 20 }, (_, i) => `t${i}`), 'then all of it, in order');
  t.same(consumer.committed(), { 'a.chat.t:0': '20', 'a.chat.u:0': '20' });
});

t.test('what a lane consumes while its batch runs is applied as its next batch, up to maxBatchRecords', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 2, maxBatchRecords: 6, maxInFlight: 100 });
  for (let i = 0; i < 30; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let release!: () => void;
  pipeline.gate = new Promise((r) => (release = r));
  const sizes: number[] = [];
  const run = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = (source, events) => {
    sizes.push(events.length);
    return run(source, events);
  };
  const rt = make();
  consumer.onIdle = () => {
    if ((consumer.positions.get('a.chat.t:0') ?? 0) < 30) return;
    release();
    if (pipeline.applied['a-to-b']?.length === 30) rt.stop();
  };
  await rt.run();
  t.equal(sizes[0], 2, 'the first batch is what the first consume call returned');
  t.ok(sizes.slice(1).every((n) => n <= 6), `no batch above maxBatchRecords (${sizes.join(', ')})`);
  t.ok(sizes.slice(1, -1).every((n) => n === 6), `records waiting behind a running batch are taken together (${sizes.join(', ')})`);
  t.same(pipeline.applied['a-to-b'], Array.from({ length: 30 }, (_, i) => `a${i}`), 'in order');
  t.same(consumer.committed(), { 'a.chat.t:0': '30' });
});

/** Resolves once `cond` holds (checked every few ms), for waits on a runtime running in the background. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

t.test("a lane's next batch goes through its stages while the one before it commits; offsets wait for the older one", async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 3, maxBatchRecords: 3, maxInFlight: 100 });
  for (let i = 0; i < 9; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const given: string[] = [];
  let calls = 0;
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (source, events, onQueued) => {
    const n = ++calls;
    for (const e of events) given.push(String(e.after?.v));
    onQueued?.();
    if (n === 1) await firstHeld;
    return original(source, events);
  };
  const rt = make();
  consumer.onIdle = () => consumer.committed()['a.chat.t:0'] === '9' && rt.stop();
  const running = rt.run();
  await until(() => pipeline.applied['a-to-b']?.length === 6, 'the two later batches to finish');
  t.same(given, Array.from({ length: 9 }, (_, i) => `a${i}`), 'every batch was given to the sink in order while the first was still committing');
  t.same(pipeline.applied['a-to-b'], ['a3', 'a4', 'a5', 'a6', 'a7', 'a8'], 'the later batches finished first');
  t.same(consumer.committed(), {}, 'nothing committed past the batch still committing');
  releaseFirst();
  await running;
  t.same(consumer.committed(), { 'a.chat.t:0': '9' }, 'all committed once the first batch is durable');
});

t.test('a partition paused before it was revoked is fetched again once it is assigned again (librdkafka keeps the pause)', async (t) => {
  // maxInFlight 1: the loop waits for room at once, and looks for stuck lanes while it waits.
  const { consumer, pipeline, make } = setup({ batchRows: 5, maxInFlight: 1, stuckAfterMs: 20 });
  consumer.add(record('a.chat.t', 0, 0, 'a0'));
  let release!: () => void;
  pipeline.gate = new Promise((r) => (release = r));
  const rt = make();
  consumer.onIdle = () => pipeline.applied['a-to-b']?.includes('late') && rt.stop();
  const running = rt.run();
  await until(() => consumer.paused.has('a.chat.t:0'), 'the stuck lane to be paused');
  const tp = { topic: 'a.chat.t', partition: 0 };
  const revoked = consumer.handler!.onRevoke([tp]);
  release();
  await revoked;
  consumer.handler!.onAssign([tp]);
  consumer.add(record('a.chat.t', 0, 1, 'late'));
  await until(() => pipeline.applied['a-to-b']?.includes('late') === true, 'the record written after the new assignment to be applied');
  await running;
  t.notOk(consumer.paused.has('a.chat.t:0'), 'not paused any more');
});

t.test('a revoke waits only for the lanes of its partitions: a table waiting for its database does not hold it up', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 10, maxInFlight: 100 });
  for (let i = 0; i < 3; i++) consumer.add(record('a.chat.t', 0, i, `t${i}`));
  for (let i = 0; i < 3; i++) consumer.add(record('a.chat.u', 0, i, `u${i}`));
  const release = holdBatchesOf(pipeline, 'a.chat.u');
  const rt = make();
  consumer.onIdle = () => consumer.committed()['a.chat.u:0'] === '3' && rt.stop();
  const running = rt.run();
  await until(() => pipeline.applied['a-to-b']?.length === 3 && consumer.positions.get('a.chat.u:0') === 3, 'table t applied while u waits');
  let revokedDone = false;
  const revoked = consumer.handler!.onRevoke([{ topic: 'a.chat.t', partition: 0 }]).then(() => (revokedDone = true));
  await until(() => revokedDone, 'the revoke of a.chat.t to finish while a.chat.u still waits');
  t.same(consumer.committed()['a.chat.t:0'], '3', 'the revoked partition was committed');
  t.equal(consumer.committed()['a.chat.u:0'], undefined, 'the waiting table was not');
  release();
  await revoked;
  await running;
  t.same(consumer.committed()['a.chat.u:0'], '3');
});

t.test('revoke waits for in-flight batches, commits them, and drops records of revoked partitions', async (t) => {
  const { consumer, pipeline, make } = setup({ batchRows: 4 });
  for (let i = 0; i < 4; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  let release!: () => void;
  pipeline.gate = new Promise((r) => (release = r));
  const rt = make();
  let revoked: Promise<void> | undefined;
  const consume = consumer.consume.bind(consumer);
  let calls = 0;
  consumer.consume = async (n) => {
    const out = await consume(n);
    // The call after the one that handed out offsets 0..3, which are now held by the sink.
    if (!revoked && ++calls === 2) {
      revoked = consumer.handler!.onRevoke([{ topic: 'a.chat.t', partition: 0 }]);
      t.same(consumer.committed(), {}, 'nothing committed while the sink holds the batch');
      release();
      await revoked;
      t.same(consumer.committed(), { 'a.chat.t:0': '4' }, 'committed before giving the partition up');
      consumer.add(record('a.chat.t', 0, 4, 'late'));
    }
    return out;
  };
  consumer.onIdle = () => {
    if (revoked && (consumer.positions.get('a.chat.t:0') ?? 0) === 5) rt.stop();
  };
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['a0', 'a1', 'a2', 'a3'], 'record of a revoked partition not applied here');
  t.same(consumer.committed(), { 'a.chat.t:0': '4' });
});

t.test('with an audit topic, each batch\'s conflict records are published before its offsets are committed', async (t) => {
  const { consumer, audits, make } = setup({ audit: true });
  ['w0', 'LOST', 'w2', 'w3', 'w4', 'LOST'].forEach((v, i) => consumer.add(record('a.chat.t', 0, i, v)));
  const rt = make();
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(
    audits.published.map((p) => [p.records.map((r) => [r.stage, r.winner.after?.v, r.loser.after?.v, r.loser.kafka?.offset]), p.committedBefore]),
    [
      [[['a-to-b.lww', 'w0', 'LOST', '1']], {}],
      [[['a-to-b.lww', 'w4', 'LOST', '5']], { 'a.chat.t:0': '3' }],
    ],
    'batch 0-2 audited before anything was committed, batch 3-5 before its own offsets',
  );
  t.same(consumer.committed(), { 'a.chat.t:0': '6' });
});

t.test('without an audit topic, conflicts are not published anywhere', async (t) => {
  const { consumer, audits, dlq, make } = setup();
  ['w0', 'LOST', 'w2'].forEach((v, i) => consumer.add(record('a.chat.t', 0, i, v)));
  const rt = make();
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(audits.published, []);
  t.same(dlq.letters, []);
  t.same(consumer.committed(), { 'a.chat.t:0': '3' });
});

t.test('a stop request cuts a wait short: that batch stays uncommitted, what finished before it is committed', async (t) => {
  const { consumer, pipeline } = setup({ batchRows: 2 });
  for (let i = 0; i < 4; i++) consumer.add(record('a.chat.t', 0, i, `a${i}`));
  const original = pipeline.runBatch.bind(pipeline);
  let failing = false;
  pipeline.runBatch = async (s, e) => {
    if (failing) throw retriable('mysql-b down', { stage: 'mysql-b' });
    const out = await original(s, e);
    failing = true; // the database goes away after the first batch
    return out;
  };
  const lines: string[] = [];
  const rt = new Runtime({
    consumer,
    deadLetters: new FakeDeadLetters(),
    pipeline,
    decoder: fakeDecoder,
    logger: createLogger({ json: true, write: (l) => lines.push(l) }),
    batchRows: 2,
    retryPolicy: { retries: Infinity, initialMs: 1, maxMs: 5, factor: 2, jitter: 0 },
  });
  consumer.onIdle = () => {
    if (rt.waitingFor().length > 0) rt.stop();
  };
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['a0', 'a1']);
  t.same(consumer.committed(), { 'a.chat.t:0': '2' }, 'the first batch is committed, the one cut short is not');
  const last = JSON.parse(lines[lines.length - 1]) as { msg: string };
  t.match(last.msg, /stopped cleanly; offsets of 1 partitions committed; 2 records not applied/);
});

t.test('a schema id the registry does not know (404) is waited for, loudly, never dead-lettered', async (t) => {
  const { consumer, pipeline, dlq } = setup();
  consumer.add(record('a.chat.t', 0, 0, 'x'));
  let calls = 0;
  const decoder = {
    decode: async (r: Parameters<typeof fakeDecoder.decode>[0]) => {
      if (++calls < 3) throw retriable('registry has no such entry while fetching schema id 42 (404)', { stage: 'schema-registry' });
      return fakeDecoder.decode(r);
    },
  };
  const lines: string[] = [];
  const rt = new Runtime({
    consumer,
    deadLetters: dlq,
    pipeline,
    decoder,
    logger: createLogger({ json: true, write: (l) => lines.push(l) }),
    batchRows: 3,
    retryPolicy: { retries: Infinity, initialMs: 1, maxMs: 2, factor: 2, jitter: 0 },
  });
  consumer.onIdle = () => consumer.committed()['a.chat.t:0'] === '1' && rt.stop();
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['x']);
  t.same(dlq.letters, [], 'nothing dead-lettered');
  t.match(lines.join('\n'), /waiting for schema registry: registry has no such entry while fetching schema id 42 \(404\)[\s\S]*schema registry is back/);
});

/** Rows `<table>@<pos>` and schema changes `DDL <table>@<pos>` with their binlog positions. */
const positionedDecoder: RecordDecoder = {
  async decode(r): Promise<ChangeEvent> {
    const text = String(r.value);
    const ddl = text.startsWith('DDL ');
    const [table, pos] = text.replace('DDL ', '').split('@');
    const source = { connector: 'mariadb', name: 'a', db: 'chat', table, serverId: 1, gtid: null, file: 'bin.000001', pos: Number(pos), row: 0, tsMs: 0, snapshot: false, thread: null };
    if (ddl) return { op: 'ddl', before: null, after: null, key: {}, source, headers: {}, ddl: { statement: `ALTER TABLE ${table} ADD x INT`, database: 'chat', tables: [{ type: 'ALTER', table, columns: [] }] } };
    return { op: 'c', before: null, after: { id: Number(pos), v: text }, key: { id: Number(pos) }, source, headers: {} };
  },
};

t.test("a schema change waits until the lane's earlier batches are durable", async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  for (let i = 0; i < 3; i++) consumer.add(record('a.chat.rooms', 0, i, `rooms@${10 + i}`));
  consumer.add(record('a', 0, 0, 'DDL rooms@20'));
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const started: string[][] = [];
  let firstDone = false;
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e, onQueued) => {
    started.push(e.map((x) => `${x.op === 'ddl' ? 'DDL ' : ''}${x.source.table}@${x.source.pos}`));
    onQueued?.();
    if (started.length === 1) {
      await firstHeld;
      firstDone = true;
    } else t.ok(firstDone, 'the batch with the schema change started after the rows before it were durable');
    return original(s, e.filter((x) => x.op !== 'ddl'));
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 3 });
  consumer.onIdle = () => consumer.committed()['a:0'] === '1' && rt.stop();
  const running = rt.run();
  await until(() => consumer.positions.get('a:0') === 1, 'the schema change to be consumed');
  await new Promise((r) => setTimeout(r, 50));
  t.same(started, [['rooms@10', 'rooms@11', 'rooms@12']], 'only the rows run while they commit');
  releaseFirst();
  await running;
  t.same(started, [['rooms@10', 'rooms@11', 'rooms@12'], ['DDL rooms@20']]);
  t.same(consumer.committed(), { 'a.chat.rooms:0': '3', 'a:0': '1' });
});

t.test('a stuck lane is not paused while a schema change it waits for waits for more of its rows', async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  // rooms[1] holds one row before the ALTER and will receive a second one; rooms[0] a row after it.
  consumer.add(record('a.chat.rooms', 1, 0, 'rooms@5'));
  consumer.add(record('a', 0, 0, 'DDL rooms@20'));
  consumer.add(record('a.chat.rooms', 0, 0, 'rooms@30'));
  const high = consumer.highWatermark.bind(consumer);
  consumer.highWatermark = (topic, partition) => (topic === 'a.chat.rooms' && partition === 1 ? 2n : high(topic, partition));
  setTimeout(() => consumer.add(record('a.chat.rooms', 1, 1, 'rooms@10')), 100);
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e) => {
    const names = e.map((x) => `${x.op === 'ddl' ? 'DDL ' : ''}${x.source.table}@${x.source.pos}`);
    if (names.includes('rooms@30') && !names.includes('DDL rooms@20')) throw retriable('rooms@30 has a column rooms does not have yet', { stage: 'mysql-b: shape of rooms' });
    return original(s, e.filter((x) => x.op !== 'ddl'));
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 1, maxInFlight: 1, stuckAfterMs: 20, retryPolicy: { retries: Infinity, initialMs: 1, maxMs: 5, factor: 2, jitter: 0 } });
  consumer.onIdle = () => consumer.committed()['a:0'] === '1' && consumer.committed()['a.chat.rooms:0'] === '1' && rt.stop();
  const timer = setTimeout(() => rt.stop(), 8000);
  await rt.run();
  clearTimeout(timer);
  t.same([...pipeline.applied['a-to-b']].sort(), ['rooms@10', 'rooms@30', 'rooms@5'], 'every row applied');
  t.same(consumer.committed(), { 'a.chat.rooms:0': '1', 'a.chat.rooms:1': '2', 'a:0': '1' }, 'the schema change and the rows after it went through');
});

t.test('lanes are per table: a table that waits does not hold back the others of its source', async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  for (let i = 0; i < 3; i++) consumer.add(record('a.chat.slow', 0, i, `slow@${i}`));
  for (let i = 0; i < 3; i++) consumer.add(record('a.chat.fast', 0, i, `fast@${10 + i}`));
  const original = pipeline.runBatch.bind(pipeline);
  let slowAttempts = 0;
  pipeline.runBatch = async (s, e) => {
    if (e.some((x) => x.source.table === 'slow')) {
      slowAttempts++;
      throw retriable('table slow waits for its schema', { stage: 'mysql-b: schema of slow' });
    }
    return original(s, e);
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 10, retryPolicy: { retries: Infinity, initialMs: 1, maxMs: 5, factor: 2, jitter: 0 } });
  consumer.onIdle = () => consumer.committed()['a.chat.fast:0'] === '3' && slowAttempts > 3 && rt.stop();
  await rt.run();
  t.same(pipeline.applied['a-to-b'], ['fast@10', 'fast@11', 'fast@12'], 'the other table was applied');
  t.same(consumer.committed(), { 'a.chat.fast:0': '3' }, 'and committed; the waiting one is not');
});

t.test("a schema change joins its table's lane and takes its binlog place among the rows", async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  consumer.add(record('a.chat.rooms', 0, 0, 'rooms@10'));
  consumer.add(record('a.chat.rooms', 0, 1, 'rooms@30'));
  consumer.add(record('a', 0, 0, 'DDL rooms@20'));
  consumer.add(record('a', 0, 1, 'DDL other@25'));
  const seen: string[][] = [];
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e) => {
    seen.push(e.map((x) => `${x.op === 'ddl' ? 'DDL ' : ''}${x.source.table}@${x.source.pos}`));
    return original(s, e.filter((x) => x.op !== 'ddl'));
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 10 });
  stopWhenIdle(consumer, rt);
  await rt.run();
  t.same(seen.find((b) => b.some((x) => x.startsWith('rooms'))), ['rooms@10', 'DDL rooms@20', 'rooms@30'], "the ALTER of rooms between the rows written before and after it");
  t.same(seen.find((b) => b.some((x) => x.includes('other'))), ['DDL other@25'], 'a schema change of another table in that table\'s lane');
  t.same(consumer.committed(), { 'a.chat.rooms:0': '2', 'a:0': '2' }, 'the schema-change topic is committed once both lanes are done');
});

t.test('a row that reached its lane before its ALTER waits for it, and the ALTER joins that batch (no deadlock)', async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  consumer.add(record('a.chat.rooms', 0, 0, 'rooms@10'));
  consumer.add(record('a.chat.rooms', 0, 1, 'rooms@30'));
  consumer.logs.set('a:0', []); // assigned, nothing on it yet
  const seen: string[][] = [];
  const original = pipeline.runBatch.bind(pipeline);
  let attempts = 0;
  pipeline.runBatch = async (s, e) => {
    const names = e.map((x) => `${x.op === 'ddl' ? 'DDL ' : ''}${x.source.table}@${x.source.pos}`);
    seen.push(names);
    if (names.includes('rooms@30') && !names.includes('DDL rooms@20')) {
      // The schema-change topic is read later than the row topic: its record arrives while the row waits.
      if (++attempts === 1) consumer.add(record('a', 0, 0, 'DDL rooms@20'));
      throw retriable('rooms@30 has a column rooms does not have yet', { stage: 'mysql-b: shape of rooms' });
    }
    return original(s, e.filter((x) => x.op !== 'ddl'));
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 10, retryPolicy: { retries: Infinity, initialMs: 1, maxMs: 5, factor: 2, jitter: 0 } });
  consumer.onIdle = () => consumer.committed()['a:0'] === '1' && rt.stop();
  const timer = setTimeout(() => rt.stop(), 5000);
  await rt.run();
  clearTimeout(timer);
  t.same(seen.at(-1), ['rooms@10', 'DDL rooms@20', 'rooms@30'], 'the waiting batch took the ALTER in its binlog place');
  t.equal(seen.filter((b) => b.includes('DDL rooms@20')).length, 1, 'and the ALTER ran once (its own later batch skipped it)');
  t.same(pipeline.applied['a-to-b'], ['rooms@10', 'rooms@30']);
  t.same(consumer.committed(), { 'a.chat.rooms:0': '2', 'a:0': '1' }, 'both topics committed');
});

t.test('a schema change read before rows its source wrote ahead of it waits for them (never overtakes them)', async (t) => {
  const consumer = new FakeConsumer();
  const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
  // The schema-change topic is read first: its ALTER is ahead of the rows written before it.
  consumer.add(record('a', 0, 0, 'DDL rooms@20'));
  consumer.add(record('a.chat.rooms', 0, 0, 'rooms@10'));
  consumer.add(record('a.chat.rooms', 0, 1, 'rooms@30'));
  const applied: string[] = [];
  const original = pipeline.runBatch.bind(pipeline);
  pipeline.runBatch = async (s, e) => {
    applied.push(...e.map((x) => `${x.op === 'ddl' ? 'DDL ' : ''}${x.source.table}@${x.source.pos}`));
    return original(s, e.filter((x) => x.op !== 'ddl'));
  };
  const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder: positionedDecoder, logger: quietLogger(), batchRows: 1 });
  consumer.onIdle = () => consumer.committed()['a:0'] === '1' && rt.stop();
  const timer = setTimeout(() => rt.stop(), 5000);
  await rt.run();
  clearTimeout(timer);
  t.same(applied, ['rooms@10', 'DDL rooms@20', 'rooms@30'], 'the row written before the ALTER is applied before it');
  t.same(consumer.committed(), { 'a.chat.rooms:0': '2', 'a:0': '1' }, 'both topics committed');
});

t.test('a new consumer group does not replay a TRUNCATE of the past; a later one, and any with committed offsets, it does', async (t) => {
  // `TRUNCATE rooms@<tsMs>` is a TRUNCATE at that time; other values are rows.
  const decoder: RecordDecoder = {
    async decode(r): Promise<ChangeEvent> {
      const [what, at] = String(r.value).split('@');
      const source = { connector: 'mariadb', name: 'a', db: 'chat', table: 'rooms', serverId: 1, gtid: null, file: 'bin.000001', pos: Number(r.offset) + 1, row: 0, tsMs: Number(at), snapshot: false, thread: null };
      const kafka = { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: 0 };
      if (what === 'TRUNCATE rooms') return { op: 'ddl', before: null, after: null, key: {}, source, headers: {}, kafka, ddl: { statement: 'TRUNCATE TABLE `rooms`', database: 'chat', tables: [{ type: 'TRUNCATE', table: 'rooms', columns: [] }] } };
      return { op: 'c', before: null, after: { id: Number(r.offset) }, key: { id: Number(r.offset) }, source, headers: {}, kafka };
    },
  };
  for (const freshGroup of [true, false]) {
    const consumer = new FakeConsumer();
    const now = Date.now();
    consumer.add(record('a.chat.rooms', 0, 0, `TRUNCATE rooms@${now - 3_600_000}`));
    consumer.add(record('a.chat.rooms', 0, 1, `row@${now - 3_000_000}`));
    consumer.add(record('a.chat.rooms', 0, 2, `TRUNCATE rooms@${now + 60_000}`));
    const asked: string[] = [];
    const withOffsets = consumer as FakeConsumer & { committedOffsets(parts: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint | null>> };
    withOffsets.committedOffsets = async (parts) => {
      asked.push(...parts.map((p) => p.topic));
      return new Map(parts.map((p) => [`${p.topic}\u0000${p.partition}`, freshGroup ? null : 0n]));
    };
    const pipeline = new FakePipeline([{ name: 'a-to-b', topics: [/a(\..*)?/] }]);
    const seen: string[] = [];
    const original = pipeline.runBatch.bind(pipeline);
    pipeline.runBatch = async (s, e) => {
      seen.push(...e.map((x) => (x.op === 'ddl' ? 'TRUNCATE' : 'row')));
      return original(s, e.filter((x) => x.op !== 'ddl'));
    };
    const lines: string[] = [];
    const rt = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline, decoder, logger: createLogger({ json: true, write: (l) => lines.push(l) }), batchRows: 10 });
    consumer.onIdle = () => consumer.committed()['a.chat.rooms:0'] === '3' && rt.stop();
    await rt.run();
    t.same(asked, ['a.chat.rooms'], 'the committed offsets were asked for on assignment');
    if (freshGroup) {
      t.same(seen, ['row', 'TRUNCATE'], 'new group: the TRUNCATE of an hour ago is left out, the one after the start goes');
      t.match(lines.join('\n'), /a TRUNCATE of rooms from before this consumer group's first start is not replayed/);
    } else {
      t.same(seen, ['TRUNCATE', 'row', 'TRUNCATE'], 'a group with committed offsets catches up on every TRUNCATE');
    }
  }
});
