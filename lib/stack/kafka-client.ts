// The two Kafka calls the stack needs from Node: "is the broker answering?" and "give me the
// records of a topic that match": both through node-rdkafka, as Tandem itself talks to Kafka.
import { CODES, KafkaConsumer, Producer, type Message } from 'node-rdkafka';

function disconnect(client: Producer | KafkaConsumer): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

/** Resolves with the broker count once a metadata request succeeds; rejects after `timeoutMs`. */
export function brokerMetadata(brokers: string, timeoutMs: number): Promise<number> {
  const producer = new Producer({ 'metadata.broker.list': brokers, 'log_level': 0, 'socket.timeout.ms': timeoutMs });
  return new Promise<number>((resolve, reject) => {
    producer.connect({ timeout: timeoutMs }, (err, data) => {
      if (err) reject(new Error(`no metadata from ${brokers}: ${err.message}`));
      else resolve(data.brokers.length);
    });
  }).finally(() => disconnect(producer));
}

export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function toRaw(m: Message): RawRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp ?? 0,
    key: m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key),
    value: m.value ?? null,
  };
}

/**
 * Reads `topic` from the beginning (fresh group, no commits) until `accept` returns true for a
 * record, then resolves with it. Rejects after `timeoutMs` naming the topic and how many records
 * were seen.
 */
export async function findRecord(
  brokers: string,
  topic: string,
  accept: (r: RawRecord) => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<RawRecord> {
  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': `tandem-probe-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
      'log_level': 0,
      'topic.metadata.refresh.interval.ms': 500,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: timeoutMs }, (err) => (err ? reject(new Error(`consumer could not connect to ${brokers}: ${err.message}`)) : resolve())),
  );
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  try {
    consumer.subscribe([topic]);
    while (Date.now() < deadline) {
      // Until the topic exists the consumer reports it unknown: that is "not yet", not a failure.
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(100, (err, msgs) => (err && err.code !== CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART ? reject(err) : resolve(msgs ?? []))),
      );
      for (const m of batch) {
        seen++;
        const r = toRaw(m);
        if (await accept(r)) return r;
      }
    }
    throw new Error(`no matching record on topic ${topic} within ${Math.round(timeoutMs / 1000)}s (${seen} records seen)`);
  } finally {
    await disconnect(consumer);
  }
}
