// The runtime's Kafka machinery against the stack's real broker, with an in-memory decoder and
// pipeline: commits after the sink, dead letters with headers, two instances splitting partitions.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { AdminClient, KafkaConsumer, Producer } from 'node-rdkafka';
import { testRetryPolicy } from '../../lib/errors';
import { Runtime, consumerSettings, producerSettings, DLQ_HEADERS } from '../../lib/runtime';
import { RdkafkaConsumer } from '../../lib/runtime/rdkafka-consumer';
import { RdkafkaDeadLetters } from '../../lib/runtime/rdkafka-dead-letters';
import type { ChangeEvent } from '../../lib/model';
import type { Pipeline, PipelineOutcome } from '../../lib/runtime/ports';
import { fakeDecoder, quietLogger } from '../unit/runtime/fixtures/fakes';
import { createLogger } from '../../lib/observe';

const brokers = process.env.TANDEM_BROKERS ?? '127.0.0.1:9092';

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = AdminClient.create({ 'metadata.broker.list': brokers });
  try {
    await new Promise<void>((res, rej) => admin.createTopic({ topic: name, num_partitions: partitions, replication_factor: 1 }, 10_000, (err) => (err ? rej(new Error(err.message)) : res())));
  } finally {
    admin.disconnect();
  }
}

async function produce(topic: string, messages: { key: string; value: string; partition: number }[]): Promise<void> {
  const p = new Producer({ 'metadata.broker.list': brokers, dr_cb: true });
  await new Promise<void>((res, rej) => p.connect({}, (err) => (err ? rej(new Error(err.message)) : res())));
  p.setPollInterval(20);
  let delivered = 0;
  p.on('delivery-report', (err) => {
    if (err) throw new Error(err.message);
    delivered++;
  });
  for (const m of messages) p.produce(topic, m.partition, Buffer.from(m.value), Buffer.from(m.key));
  await waitFor(`${messages.length} deliveries to ${topic}`, () => delivered === messages.length);
  await new Promise<void>((res) => p.disconnect(() => res()));
}

/** Records every applied value in order, per key (value text "key:seq"). */
class RecordingPipeline implements Pipeline {
  readonly sources: Pipeline['sources'];
  applied: string[] = [];
  constructor(topic: string) {
    this.sources = [{ name: 'in', topics: [topic] }];
  }
  async runBatch(_source: string, events: ChangeEvent[]): Promise<PipelineOutcome> {
    for (const e of events) this.applied.push(String(e.after?.v));
    return { deadLetters: [], counters: { recordsOut: events.length } };
  }
  async close(): Promise<void> {}
}

let instances = 0;
async function startRuntime(topic: string, group: string, dlqTopic: string) {
  const log = process.env.TANDEM_TEST_LOG ? createLogger({ component: `${group}-${++instances}`, json: false, level: 'debug' }) : quietLogger();
  const consumer = await RdkafkaConsumer.connect(consumerSettings({ brokers, groupId: group, env: {} }), log, { policy: testRetryPolicy });
  const dlq = await RdkafkaDeadLetters.connect(producerSettings({ brokers, env: {} }), dlqTopic, log, testRetryPolicy);
  const pipeline = new RecordingPipeline(topic);
  const runtime = new Runtime({ consumer, deadLetters: dlq, pipeline, decoder: fakeDecoder, logger: log, batchRows: 100, retryPolicy: testRetryPolicy });
  const done = runtime.run();
  return { runtime, pipeline, done };
}

async function committedTotal(topic: string, group: string, partitions: number): Promise<number> {
  const c = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': group }, {});
  await new Promise<void>((res, rej) => c.connect({}, (err) => (err ? rej(new Error(err.message)) : res())));
  const parts = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  const offs = await new Promise<{ offset: number }[]>((res, rej) => c.committed(parts, 10_000, (err, tps) => (err ? rej(new Error(err.message)) : res(tps))));
  await new Promise<void>((res) => c.disconnect(() => res()));
  return offs.reduce((a, o) => a + Math.max(0, o.offset), 0);
}

function keyOrderHolds(applied: string[]): boolean {
  const last = new Map<string, number>();
  for (const v of applied) {
    const [k, seq] = v.split(':');
    if ((last.get(k) ?? -1) >= Number(seq)) return false;
    last.set(k, Number(seq));
  }
  return true;
}

function messages(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => {
    const key = `k${(from + i) % 20}`;
    return { key, value: `${key}:${from + i}`, partition: ((from + i) % 20) % 4 };
  });
}

t.test('commits after the sink, keeps per-key order, dead-letters poison with headers', async (t) => {
  const id = randomUUID().slice(0, 8);
  const topic = `rt-${id}`;
  const dlqTopic = `rt-${id}-dlq`;
  await createTopic(topic, 4);
  await createTopic(dlqTopic, 1);
  const msgs = messages(1000);
  msgs.splice(500, 0, { key: 'poison', value: 'BAD', partition: 2 });
  await produce(topic, msgs);
  const { runtime, pipeline, done } = await startRuntime(topic, `g-${id}`, dlqTopic);
  t.teardown(() => runtime.stop());
  await waitFor('1000 records applied', () => pipeline.applied.length >= 1000);
  runtime.stop();
  await done;
  t.equal(pipeline.applied.length, 1000, 'each record applied once');
  t.ok(keyOrderHolds(pipeline.applied), 'per-key order kept');
  t.equal(await committedTotal(topic, `g-${id}`, 4), 1001, 'committed every offset, poison included');
  // The dead letter: original bytes and where it came from.
  const reader = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `r-${id}` }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((res, rej) => reader.connect({}, (err) => (err ? rej(new Error(err.message)) : res())));
  reader.subscribe([dlqTopic]);
  let got: { value: Buffer | null; headers: Record<string, string> } | undefined;
  await waitFor('the dead letter', async () => {
    const batch = await new Promise<import('node-rdkafka').Message[]>((res) => reader.consume(10, (_e, m) => res(m ?? [])));
    if (batch.length > 0) {
      const h: Record<string, string> = {};
      for (const x of batch[0].headers ?? []) for (const [k, v] of Object.entries(x)) h[k] = v.toString();
      got = { value: batch[0].value, headers: h };
    }
    return got !== undefined;
  });
  await new Promise<void>((res) => reader.disconnect(() => res()));
  t.equal(got?.value?.toString(), 'BAD');
  t.equal(got?.headers[DLQ_HEADERS.topic], topic);
  t.equal(got?.headers[DLQ_HEADERS.partition], '2');
  t.equal(got?.headers[DLQ_HEADERS.stage], 'decode');
  t.match(got?.headers[DLQ_HEADERS.reason], /unknown schema id 99/);
});

t.test('two instances in one group split the partitions; nothing lost across the rebalance', async (t) => {
  const id = randomUUID().slice(0, 8);
  const topic = `rt-${id}`;
  const group = `g-${id}`;
  await createTopic(topic, 4);
  await produce(topic, messages(2000));
  const one = await startRuntime(topic, group, `rt-${id}-dlq`);
  t.teardown(() => one.runtime.stop());
  await waitFor('instance one to apply something', () => one.pipeline.applied.length > 0);
  const two = await startRuntime(topic, group, `rt-${id}-dlq`);
  t.teardown(() => two.runtime.stop());
  // Keep producing until the second instance has partitions and applies some of the records.
  let total = 2000;
  await waitFor('instance two to get partitions and apply records', async () => {
    await produce(topic, messages(200, total));
    total += 200;
    return two.pipeline.applied.length > 0;
  });
  const distinct = () => new Set([...one.pipeline.applied, ...two.pipeline.applied]).size;
  await waitFor(`all ${total} records applied by one or the other`, () => distinct() === total);
  one.runtime.stop();
  two.runtime.stop();
  await Promise.all([one.done, two.done]);
  t.equal(distinct(), total, 'no record lost');
  t.ok(one.pipeline.applied.length > 0 && two.pipeline.applied.length > 0, 'both instances applied records');
  t.ok(keyOrderHolds(two.pipeline.applied), 'per-key order on the instance that took over');
  t.equal(await committedTotal(topic, group, 4), total, 'every offset committed');
});
