// Kafka from the e2e tests: topics with several partitions, and end offsets (how many records a
// topic has ever received), through node-rdkafka as the runtime itself talks to Kafka.
import { AdminClient, KafkaConsumer } from 'node-rdkafka';

export async function createTopics(brokers: string, topics: string[], partitions: number): Promise<void> {
  const admin = AdminClient.create({ 'metadata.broker.list': brokers, 'log_level': 0 });
  try {
    for (const topic of topics) {
      await new Promise<void>((res, rej) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 20_000, (err) => (err ? rej(new Error(`creating ${topic}: ${err.message}`)) : res())));
    }
  } finally {
    admin.disconnect();
  }
}

/** A connected client for metadata and watermark queries; `close()` when done. */
export async function offsetReader(brokers: string): Promise<{ endOffsets: (match: (topic: string) => boolean) => Promise<Map<string, number>>; close: () => Promise<void> }> {
  const consumer = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `tandem-e2e-offsets-${process.pid}`, 'log_level': 0 }, {});
  await new Promise<void>((res, rej) => consumer.connect({ timeout: 20_000 }, (err) => (err ? rej(err) : res())));
  const endOffsets = async (match: (topic: string) => boolean): Promise<Map<string, number>> => {
    const metadata = await new Promise<{ topics: { name: string; partitions: { id: number }[] }[] }>((res, rej) => consumer.getMetadata({ timeout: 20_000 }, (err, data) => (err ? rej(err) : res(data))));
    const out = new Map<string, number>();
    for (const topic of metadata.topics.filter((t) => match(t.name))) {
      let total = 0;
      for (const p of topic.partitions) {
        total += await new Promise<number>((res, rej) => consumer.queryWatermarkOffsets(topic.name, p.id, 20_000, (err, w) => (err ? rej(err) : res(w.highOffset))));
      }
      out.set(topic.name, total);
    }
    return out;
  };
  return { endOffsets, close: () => new Promise((res) => consumer.disconnect(() => res())) };
}
