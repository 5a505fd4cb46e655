// Reads the dead-letter topic with a throwaway consumer: partitions assigned by hand from the
// offsets asked for, no consumer group joined, nothing committed, so reading changes nothing.
import { CODES, KafkaConsumer, type ConsumerTopicConfig, type Message } from 'node-rdkafka';
import { retriable } from '../errors';
import { classifyKafkaError, headersOf, keyOf } from '../runtime/rdkafka-consumer';
import { parseDeadLetterMessage, type StoredDeadLetter } from '../runtime/dead-letter-message';
import type { KafkaSettings } from '../runtime/kafka-config';

/** One partition of the topic: its first offset still held and the next to be written. */
export interface PartitionExtent {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The offsets to read from one partition, both included. */
export interface ReadRange {
  partition: number;
  from: bigint;
  to: bigint;
}

export interface DlqRead {
  /** Whether the topic exists (nothing was ever dead-lettered when it does not). */
  exists: boolean;
  partitions: PartitionExtent[];
  /** In partition, then offset order. */
  letters: StoredDeadLetter[];
}

const call = <T>(what: string, fn: (cb: (err: unknown, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(classifyKafkaError(err as Parameters<typeof classifyKafkaError>[0], what)) : resolve(value))));

/**
 * Reads the records `ranges` picks (given each partition's extent; default: all of them) from
 * `topic`. Rejects when Kafka cannot be reached or the records are not all read within `timeoutMs`.
 */
export async function readDeadLetterTopic(
  settings: KafkaSettings,
  topic: string,
  ranges: (partitions: PartitionExtent[]) => ReadRange[] = (ps) => ps.map((p) => ({ partition: p.partition, from: p.low, to: p.high - 1n })),
  timeoutMs = 20_000,
): Promise<DlqRead> {
  const { 'auto.offset.reset': _reset, ...global } = settings;
  const consumer = new KafkaConsumer({ ...global, 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' } satisfies ConsumerTopicConfig);
  await call<unknown>(`connecting to ${String(settings['metadata.broker.list'])}`, (cb) => consumer.connect({ timeout: timeoutMs }, cb));
  try {
    const metadata = await call<{ topics: { name: string; partitions: { id: number }[] }[] }>(`reading the metadata of ${topic}`, (cb) => consumer.getMetadata({ topic, timeout: timeoutMs }, cb));
    const ids = metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    if (ids.length === 0) return { exists: false, partitions: [], letters: [] };
    const partitions: PartitionExtent[] = [];
    for (const partition of ids.sort((x, y) => x - y)) {
      const w = await call<{ lowOffset: number; highOffset: number }>(`reading the offsets of ${topic}[${partition}]`, (cb) => consumer.queryWatermarkOffsets(topic, partition, timeoutMs, cb));
      partitions.push({ partition, low: BigInt(w.lowOffset), high: BigInt(w.highOffset) });
    }
    const wanted = ranges(partitions)
      .map((r) => {
        const p = partitions.find((x) => x.partition === r.partition);
        // Only what the partition holds: below `low` was deleted, from `high` on not written yet.
        return p && { partition: r.partition, from: r.from > p.low ? r.from : p.low, to: r.to < p.high - 1n ? r.to : p.high - 1n };
      })
      .filter((r): r is ReadRange => r !== undefined && r.from <= r.to);
    const letters = await readRanges(consumer, topic, wanted, timeoutMs);
    return { exists: true, partitions, letters };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function readRanges(consumer: KafkaConsumer, topic: string, ranges: ReadRange[], timeoutMs: number): Promise<StoredDeadLetter[]> {
  if (ranges.length === 0) return [];
  const byPartition = new Map(ranges.map((r) => [r.partition, r]));
  const left = new Set(byPartition.keys());
  // Where each partition ended when last read to its end: past the range, what the range lacks
  // (a compacted offset) never comes. Checked after each batch, whose records may precede it.
  const ends = new Map<number, bigint>();
  consumer.on('partition.eof', (eof: { partition: number; offset: number }) => ends.set(eof.partition, BigInt(eof.offset)));
  consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: Number(r.from) })));
  const letters: StoredDeadLetter[] = [];
  const deadline = Date.now() + timeoutMs;
  while (left.size > 0) {
    if (Date.now() > deadline) {
      const where = [...left].map((p) => `${topic}[${p}] up to offset ${byPartition.get(p)?.to}`).join(', ');
      throw retriable(`reading ${where} took more than ${Math.round(timeoutMs / 1000)} s`, { stage: 'kafka', hint: 'is the broker up? (tandem stack status)' });
    }
    const batch = await new Promise<Message[]>((resolve, reject) =>
      consumer.consume(100, (err, msgs) => (err && err.code !== CODES.ERRORS.ERR__PARTITION_EOF ? reject(classifyKafkaError(err, `reading ${topic}`)) : resolve(msgs ?? []))),
    );
    for (const m of batch) {
      const range = byPartition.get(m.partition);
      const offset = BigInt(m.offset);
      if (!range || !left.has(m.partition) || offset < range.from || offset > range.to) continue;
      letters.push(parseDeadLetterMessage({ partition: m.partition, offset, timestamp: m.timestamp ?? 0 }, { key: keyOf(m), value: m.value ?? null, headers: headersOf(m) }));
      if (offset >= range.to) left.delete(m.partition);
    }
    for (const [partition, end] of ends) if (end > (byPartition.get(partition)?.to ?? end)) left.delete(partition);
  }
  return letters.sort((x, y) => x.partition - y.partition || (x.offset < y.offset ? -1 : x.offset > y.offset ? 1 : 0));
}
