// Evidence from Kafka that no change looped: each side's change topics are read between two
// offset snapshots and every record is classified as an application change (the server's own id)
// or a Tandem write (Tandem's session server_id). A Tandem write on A exists only because an
// application change on B crossed, so per direction tandem(A) ≤ app(B); a loop would break that
// bound and keep the topics growing after the writers stop. The local stack's connectors drop
// Tandem's writes before Kafka (docs/loop-prevention.md): there the Tandem counts are 0 and the
// growth after the writers stop is the evidence.
import { KafkaConsumer, type Message, type Metadata } from 'node-rdkafka';
import { DebeziumDecoder } from '../debezium';
import { ConfluentSchemaRegistrySource } from '../registry';

export type Offsets = Map<string, number>; // "topic/partition" → next offset

export interface SideCount {
  /** Change events written by applications on this side. */
  app: number;
  /** Change events Tandem wrote on this side (replicated from the other one). */
  tandem: number;
}

export interface Crossings {
  a: SideCount;
  b: SideCount;
  /** Records that did not decode (the poison record a fault injects, for one). */
  undecodable: number;
  /** tandem(a) ≤ app(b) and tandem(b) ≤ app(a): each change crossed at most once. */
  noLoop: boolean;
}

function connect(brokers: string): Promise<KafkaConsumer> {
  const c = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `tandem-crossings-${process.pid}-${Date.now()}`, 'enable.auto.commit': false, 'log_level': 0 }, { 'auto.offset.reset': 'earliest' });
  return new Promise((res, rej) => c.connect({ timeout: 15_000 }, (err) => (err ? rej(new Error(`crossings: cannot connect to ${brokers}: ${err.message}`)) : res(c))));
}

const disconnect = (c: KafkaConsumer) => new Promise<void>((res) => c.disconnect(() => res()));

/** The end offsets of every partition of the topics matching `prefixes` (e.g. `a.chat.`). */
export async function topicOffsets(brokers: string, prefixes: string[]): Promise<Offsets> {
  const c = await connect(brokers);
  try {
    const meta = await new Promise<Metadata>((res, rej) => c.getMetadata({ timeout: 10_000 }, (err, m) => (err ? rej(err) : res(m))));
    const out: Offsets = new Map();
    for (const t of meta.topics) {
      if (!prefixes.some((p) => t.name.startsWith(p))) continue;
      for (const p of t.partitions) {
        const w = await new Promise<{ highOffset: number }>((res, rej) => c.queryWatermarkOffsets(t.name, p.id, 10_000, (err, o) => (err ? rej(err) : res(o))));
        out.set(`${t.name}/${p.id}`, w.highOffset);
      }
    }
    return out;
  } finally {
    await disconnect(c);
  }
}

const total = (o: Offsets) => [...o.values()].reduce((s, n) => s + n, 0);

/** Records appended between two snapshots (topics that appeared in between start at 0). */
export const recordsBetween = (from: Offsets, to: Offsets): number => total(to) - [...to.keys()].reduce((s, k) => s + (from.get(k) ?? 0), 0);

/** Reads [from, to) of every partition in `to` and counts app vs Tandem changes per side. */
export async function countCrossings(o: { brokers: string; registryUrl: string; from: Offsets; to: Offsets; tandemServerId: number }): Promise<Crossings> {
  const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(o.registryUrl) });
  const out: Crossings = { a: { app: 0, tandem: 0 }, b: { app: 0, tandem: 0 }, undecodable: 0, noLoop: true };
  const c = await connect(o.brokers);
  try {
    const pending = new Map<string, number>();
    const assignment: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const [tp, end] of o.to) {
      const slash = tp.lastIndexOf('/');
      const start = o.from.get(tp) ?? 0;
      if (end > start) {
        assignment.push({ topic: tp.slice(0, slash), partition: Number(tp.slice(slash + 1)), offset: start });
        pending.set(tp, end);
      }
    }
    if (assignment.length) c.assign(assignment);
    const deadline = Date.now() + 120_000;
    while (pending.size > 0) {
      if (Date.now() > deadline) throw new Error(`crossings: could not read up to the end offsets of ${[...pending.keys()].join(', ')} within 120s`);
      const batch = await new Promise<Message[]>((res, rej) => c.consume(500, (err, m) => (err ? rej(err) : res(m ?? []))));
      for (const m of batch) {
        const tp = `${m.topic}/${m.partition}`;
        const end = pending.get(tp);
        if (end === undefined || m.offset >= end) continue;
        if (m.offset + 1 >= end) pending.delete(tp);
        const side = m.topic.startsWith('a.') ? out.a : m.topic.startsWith('b.') ? out.b : undefined;
        if (!side || m.value === null || m.value === undefined) continue;
        try {
          const key = m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
          const ev = await decoder.decode({ topic: m.topic, partition: m.partition, offset: String(m.offset), timestamp: m.timestamp ?? 0, key, value: m.value, headers: {} });
          if (!ev || ev.op === 'r') continue;
          if (ev.source.serverId === o.tandemServerId) side.tandem++;
          else side.app++;
        } catch {
          out.undecodable++;
        }
      }
    }
  } finally {
    await disconnect(c);
  }
  out.noLoop = out.a.tandem <= out.b.app && out.b.tandem <= out.a.app;
  return out;
}
