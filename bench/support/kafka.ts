// The Kafka calls the benches need, through node-rdkafka (as Tandem talks to Kafka): create
// topics, produce a preload, read end offsets and a group's committed offsets (without joining
// the group, so measuring never triggers a rebalance), and read a topic's records back.
import { AdminClient, KafkaConsumer, Producer, type Message } from 'node-rdkafka';

export interface Partition {
  topic: string;
  partition: number;
}

const quiet = { 'log_level': 0 } as const;

export async function createTopics(brokers: string, topics: readonly string[], partitions: number): Promise<void> {
  const admin = AdminClient.create({ 'metadata.broker.list': brokers, ...quiet });
  try {
    for (const topic of topics) {
      await new Promise<void>((resolve, reject) =>
        admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 30_000, (err) => (err ? reject(new Error(`creating topic ${topic}: ${err.message}`)) : resolve())),
      );
    }
  } finally {
    admin.disconnect();
  }
}

export async function deleteTopics(brokers: string, topics: readonly string[]): Promise<void> {
  const admin = AdminClient.create({ 'metadata.broker.list': brokers, ...quiet });
  try {
    for (const topic of topics) await new Promise<void>((resolve) => admin.deleteTopic(topic, 30_000, () => resolve()));
  } finally {
    admin.disconnect();
  }
}

export interface OutRecord {
  topic: string;
  key: Buffer;
  value: Buffer | null;
}

/** Produces records in order (same key, same partition: librdkafka's default partitioner) and waits for all deliveries. */
export async function produceAll(brokers: string, records: AsyncIterable<OutRecord> | Iterable<OutRecord>): Promise<number> {
  const producer = new Producer({ 'metadata.broker.list': brokers, 'linger.ms': 20, 'batch.num.messages': 10000, 'queue.buffering.max.messages': 200_000, ...quiet });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(new Error(`producer connect: ${err.message}`)) : resolve())));
  const flush = () => new Promise<void>((resolve, reject) => producer.flush(120_000, (err) => (err ? reject(new Error(`producer flush: ${err.message}`)) : resolve())));
  let n = 0;
  try {
    for await (const r of records) {
      producer.produce(r.topic, null, r.value, r.key, Date.now());
      if (++n % 100_000 === 0) await flush();
    }
    await flush();
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
  return n;
}

/** A consumer that never subscribes: enough for metadata, watermarks and committed offsets. */
export class OffsetProbe {
  private constructor(private readonly consumer: KafkaConsumer) {}

  static async connect(brokers: string, groupId: string): Promise<OffsetProbe> {
    const consumer = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': groupId, 'enable.auto.commit': false, ...quiet }, {});
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(new Error(`probe connect: ${err.message}`)) : resolve())));
    return new OffsetProbe(consumer);
  }

  async partitions(topics: readonly string[]): Promise<Partition[]> {
    const md = await new Promise<{ topics: { name: string; partitions: { id: number }[] }[] }>((resolve, reject) =>
      this.consumer.getMetadata({ timeout: 10_000 }, (err, data) => (err ? reject(new Error(`metadata: ${err.message}`)) : resolve(data))),
    );
    return md.topics.filter((t) => topics.includes(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id })));
  }

  async endOffsets(parts: readonly Partition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const p of parts) {
      const w = await new Promise<{ highOffset: number }>((resolve, reject) =>
        this.consumer.queryWatermarkOffsets(p.topic, p.partition, 10_000, (err, offsets) => (err ? reject(new Error(`watermarks of ${p.topic}/${p.partition}: ${err.message}`)) : resolve(offsets))),
      );
      out.set(`${p.topic}/${p.partition}`, w.highOffset);
    }
    return out;
  }

  /** Committed offsets of `groupId` (the probe's own group id), -1001 where nothing is committed. */
  async committed(parts: readonly Partition[]): Promise<Map<string, number>> {
    const got = await new Promise<{ topic: string; partition: number; offset?: number }[]>((resolve, reject) =>
      this.consumer.committed(parts.map((p) => ({ ...p })), 10_000, (err, tps) => (err ? reject(new Error(`committed offsets: ${err.message}`)) : resolve(tps))),
    );
    return new Map(got.map((tp) => [`${tp.topic}/${tp.partition}`, tp.offset ?? -1001]));
  }

  /** Records not yet committed by the group over `parts`, against `ends`. */
  async lag(parts: readonly Partition[], ends: ReadonlyMap<string, number>): Promise<number> {
    const committed = await this.committed(parts);
    let lag = 0;
    for (const [k, end] of ends) lag += Math.max(0, end - Math.max(0, committed.get(k) ?? 0));
    return lag;
  }

  /** Commits `offsets` for the probe's group (which must have no active member): where it will start. */
  commit(offsets: ReadonlyMap<string, number>): void {
    const list = [...offsets].map(([k, offset]) => {
      const at = k.lastIndexOf('/');
      return { topic: k.slice(0, at), partition: Number(k.slice(at + 1)), offset };
    });
    if (list.length > 0) this.consumer.commitSync(list);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

/** Reads `topic` from `from` offsets (per partition, default the beginning) up to `ends`, in a throwaway group. */
export async function readRange(brokers: string, parts: readonly Partition[], from: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>): Promise<Message[]> {
  const consumer = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `bench-read-${process.pid}-${Date.now()}`, 'enable.auto.commit': false, ...quiet }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(new Error(`reader connect: ${err.message}`)) : resolve())));
  const wanted = parts.filter((p) => (ends.get(`${p.topic}/${p.partition}`) ?? 0) > (from.get(`${p.topic}/${p.partition}`) ?? 0));
  consumer.assign(wanted.map((p) => ({ ...p, offset: from.get(`${p.topic}/${p.partition}`) ?? 0 })));
  const out: Message[] = [];
  const left = new Set(wanted.map((p) => `${p.topic}/${p.partition}`));
  const deadline = Date.now() + 120_000;
  try {
    while (left.size > 0) {
      if (Date.now() > deadline) throw new Error(`reading back ${[...left].join(', ')}: not at the end offsets after 120 s`);
      const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(5000, (err, msgs) => (err ? reject(err) : resolve(msgs))));
      for (const m of batch) {
        const k = `${m.topic}/${m.partition}`;
        if (m.offset < (ends.get(k) ?? 0)) out.push(m);
        if (m.offset + 1 >= (ends.get(k) ?? 0)) left.delete(k);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return out;
}
