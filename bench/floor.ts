// The floor of make bench-topology: the design card's libraries alone (node-rdkafka with Tandem's
// consumer settings, avsc, mysql2) doing what Debezium's JDBC sink does with the same topics:
// each change upserted, or deleted, by its key, in its partition's order, in transactions of what
// has arrived, offsets committed after them. No last-writer-wins, no tombstones, no origin filter,
// no dead letters, no metrics: what a plain Node process on these libraries pays per event before
// it does anything Tandem does. Of Tandem it uses its consumer settings and its timestamp
// formatting (the cheapest there is here), so that the two differ by what Tandem does, not how.
// Chat tables only (the bench's data): DATETIME(6), DECIMAL, JSON and TINYINT columns as Debezium
// encodes them. Run as a child process by bench/topology.ts, like bench/one-way.ts; logs one JSON
// line `{"msg":"running"}` once subscribed.
import type { Type } from 'avsc';
import { KafkaConsumer, type Message } from 'node-rdkafka';
import { createPool, type Pool } from 'mysql2/promise';
import { dateTimeText } from '../lib/model/values';
import { consumerSettings } from '../lib/runtime/kafka-config';
import { bareAvroType } from './support/bare-avro';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BROKERS = env('BENCH_BROKERS');
const REGISTRY = env('BENCH_REGISTRY_URL');
const TARGET = env('BENCH_TARGET_URL');
const GROUP = env('BENCH_GROUP');
const TOPICS = env('BENCH_TOPICS').split(',');
const CONNECTIONS = Number(process.env.BENCH_FLOOR_CONNECTIONS ?? 4);
const BATCH = 1000;
/** Records consumed and not yet applied, at most: a batch for each of the 4 lanes (Tandem's bound is 2 x its batch of 1000). */
const MAX_IN_FLIGHT = 4 * BATCH;

const log = (msg: string, extra: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg, ...extra })}\n`);

/** How one column of the row record becomes a bound value. */
type Convert = (v: unknown) => unknown;

interface TableCodec {
  table: string;
  columns: string[];
  convert: (Convert | undefined)[];
  key: string[];
  keyType: Type;
  type: Type;
  upsertHead: string;
  upsertTail: string;
}

function decimalText(bytes: Buffer, scale: number): string {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  const digits = (v < 0n ? -v : v).toString().padStart(scale + 1, '0');
  return `${v < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** The converter a field's Avro type asks for (its non-null branch), if any. */
function converterOf(fieldType: unknown): Convert | undefined {
  const t = Array.isArray(fieldType) ? fieldType.find((b) => b !== 'null') : fieldType;
  if (typeof t !== 'object' || t === null) return undefined;
  const spec = t as { type?: string; 'connect.name'?: string; scale?: number };
  if (spec['connect.name'] === 'io.debezium.time.MicroTimestamp') return (v) => (v === null ? null : dateTimeText(v as number, 6));
  if (spec['connect.name'] === 'org.apache.kafka.connect.data.Decimal') return (v) => (v === null ? null : decimalText(v as Buffer, spec.scale ?? 0));
  return undefined;
}

const schemas = new Map<number, Promise<unknown>>();
function schemaById(id: number): Promise<unknown> {
  let s = schemas.get(id);
  if (!s) {
    s = fetch(`${REGISTRY}/schemas/ids/${id}`).then(async (res) => {
      if (!res.ok) throw new Error(`registry: schema ${id}: HTTP ${res.status}`);
      return JSON.parse(((await res.json()) as { schema: string }).schema);
    });
    schemas.set(id, s);
  }
  return s;
}

const codecs = new Map<number, Promise<TableCodec>>();
/** The codecs fetched, by value schema id: a record whose schema is here decodes without waiting. */
const ready = new Map<number, TableCodec>();

function rowRecordOf(envelope: { fields: { name: string; type: unknown }[] }): { name: string; fields: { name: string; type: unknown }[] } {
  const before = envelope.fields.find((f) => f.name === 'before')!.type as unknown[];
  return before.find((b) => b !== 'null') as { name: string; fields: { name: string; type: unknown }[] };
}

function codecFor(valueId: number, keyId: number, topic: string): Promise<TableCodec> {
  let c = codecs.get(valueId);
  if (!c) {
    c = Promise.all([schemaById(valueId), schemaById(keyId)]).then(([value, key]) => {
      const row = rowRecordOf(value as { fields: { name: string; type: unknown }[] });
      const table = topic.slice(topic.lastIndexOf('.') + 1);
      const columns = row.fields.map((f) => f.name);
      const q = (c: string) => `\`${c}\``;
      return {
        table,
        columns,
        convert: row.fields.map((f) => converterOf(f.type)),
        key: (key as { fields: { name: string }[] }).fields.map((f) => f.name),
        keyType: bareAvroType(key),
        type: bareAvroType(value),
        upsertHead: `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES `,
        upsertTail: ` ON DUPLICATE KEY UPDATE ${columns.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`,
      };
    });
    codecs.set(valueId, c);
    void c.then((codec) => ready.set(valueId, codec));
  }
  return c;
}

/** Fetches the schemas of the records not seen before (a topic's key schema is one). */
async function loadSchemas(messages: Message[]): Promise<void> {
  for (const m of messages) {
    if (m.value && Buffer.isBuffer(m.key) && !ready.has(m.value.readUInt32BE(1))) ready.set(m.value.readUInt32BE(1), await codecFor(m.value.readUInt32BE(1), m.key.readUInt32BE(1), m.topic));
  }
}

interface Change {
  codec: TableCodec;
  upsert: unknown[] | undefined;
  key: unknown[];
}

/** Synchronous: the record's schemas are loaded (loadSchemas). */
function decode(m: Message): Change | undefined {
  const rawKey = m.key;
  if (!m.value || !Buffer.isBuffer(rawKey)) return undefined; // Kafka tombstone
  const codec = ready.get(m.value.readUInt32BE(1))!;
  const keyRecord = codec.keyType.fromBuffer(rawKey.subarray(5)) as Record<string, unknown>;
  const env = codec.type.fromBuffer(m.value.subarray(5)) as { op: string; after: Record<string, unknown> | null };
  const key = codec.key.map((k) => keyRecord[k]);
  if (env.op === 'd' || !env.after) return { codec, upsert: undefined, key };
  const after = env.after;
  const values = codec.columns.map((c, i) => {
    const f = codec.convert[i];
    return f ? f(after[c]) : after[c];
  });
  return { codec, upsert: values, key };
}

/** One partition's batch as statements, in order: runs of upserts and of deletes, per table. */
function statements(changes: Change[]): { sql: string; values: unknown[] } {
  const parts: string[] = ['START TRANSACTION'];
  const values: unknown[] = [];
  let i = 0;
  while (i < changes.length) {
    const { codec } = changes[i];
    const upserting = changes[i].upsert !== undefined;
    let j = i;
    while (j < changes.length && changes[j].codec === codec && (changes[j].upsert !== undefined) === upserting) j++;
    const run = changes.slice(i, j);
    if (upserting) {
      const tuple = `(${codec.columns.map(() => '?').join(', ')})`;
      parts.push(codec.upsertHead + run.map(() => tuple).join(', ') + codec.upsertTail);
      for (const c of run) for (const v of c.upsert!) values.push(v);
    } else {
      const tuple = `(${codec.key.map(() => '?').join(', ')})`;
      parts.push(`DELETE FROM \`${codec.table}\` WHERE (${codec.key.map((k) => `\`${k}\``).join(', ')}) IN (${run.map(() => tuple).join(', ')})`);
      for (const c of run) for (const v of c.key) values.push(v);
    }
    i = j;
  }
  parts.push('COMMIT');
  return { sql: parts.join(';\n'), values };
}

/** InnoDB rolls a deadlocked transaction back whole: it is sent again (as the JDBC sink retries). */
async function withDeadlockRetry(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (err) {
      if ((err as { errno?: number }).errno !== 1213 || attempt >= 10) throw err;
    }
  }
}

/**
 * The batches of one partition number across the topics (as many lanes as partitions, each on its
 * connection: the JDBC sink's one task per partition), applied one after the other, so a key's
 * changes stay in order. What arrives while one is written goes into the next transaction
 * together: large transactions when behind, as Tandem's sink and the JDBC sink make them.
 */
class Lane {
  private queued: { messages: Message[]; decoded: Promise<(Change | undefined)[]>; done: () => void }[] = [];
  private running = false;
  constructor(
    private readonly pool: Pool,
    private readonly consumer: KafkaConsumer,
  ) {}

  add(messages: Message[], done: () => void): void {
    // Decoded while the lane's previous transaction is being written, as Tandem does.
    this.queued.push({ messages, decoded: loadSchemas(messages).then(() => messages.map(decode)), done });
    if (!this.running) {
      this.running = true;
      this.run().catch((err: unknown) => {
        process.stderr.write(`floor: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      });
    }
  }

  private async run(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.queued.length);
      // Each table's changes in their order, the tables one after the other: rows of different
      // tables are independent (no foreign keys in the bench's databases), so fewer, longer statements.
      const byTable = new Map<TableCodec, Change[]>();
      for (const decoded of await Promise.all(batch.map((b) => b.decoded))) {
        for (const c of decoded) {
          if (c === undefined) continue;
          let list = byTable.get(c.codec);
          if (!list) byTable.set(c.codec, (list = []));
          list.push(c);
        }
      }
      const changes = [...byTable.values()].flat();
      if (changes.length > 0) {
        const { sql, values } = statements(changes);
        await withDeadlockRetry(() => this.pool.query(sql, values));
      }
      const next = new Map<string, { topic: string; partition: number; offset: number }>();
      for (const b of batch) for (const m of b.messages) next.set(`${m.topic}[${m.partition}]`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
      this.consumer.commit([...next.values()]);
      for (const b of batch) b.done();
    }
    this.running = false;
  }
}

async function main(): Promise<void> {
  const pool = createPool({ uri: TARGET, connectionLimit: CONNECTIONS, multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4_unicode_ci' });
  await pool.query('SELECT 1');
  // Tandem's settings, less two it needs for what it does and the floor does not: the group
  // statistics its coordinator watch reads, and cooperative assignment, which takes a rebalance
  // handler of its own (node-rdkafka's default one, rebalance_cb: true, assigns eagerly). The
  // offset reset is a topic-level key, which node-rdkafka reads from the topic config only.
  const { 'statistics.interval.ms': _stats, 'auto.offset.reset': _reset, ...settings } = consumerSettings({ brokers: BROKERS, groupId: GROUP, clientId: 'bench-floor', env: {} });
  const consumer = new KafkaConsumer({ ...settings, 'partition.assignment.strategy': 'range', rebalance_cb: true }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  consumer.subscribe(TOPICS);
  log('running', { topics: TOPICS });
  const lanes = new Map<string, Lane>();
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const finished = (n: number) => () => {
    inFlight -= n;
    wake?.();
  };
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  while (!stopping) {
    if (inFlight >= MAX_IN_FLIGHT) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
      continue;
    }
    const messages = await new Promise<Message[]>((resolve, reject) => consumer.consume(BATCH, (err, ms) => (err ? reject(err) : resolve(ms))));
    if (messages.length === 0) continue;
    const byPartition = new Map<string, Message[]>();
    for (const m of messages) {
      const k = String(m.partition);
      let list = byPartition.get(k);
      if (!list) byPartition.set(k, (list = []));
      list.push(m);
    }
    for (const [k, ms] of byPartition) {
      let lane = lanes.get(k);
      if (!lane) lanes.set(k, (lane = new Lane(pool, consumer)));
      inFlight += ms.length;
      lane.add(ms, finished(ms.length));
    }
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  await new Promise<void>((r) => consumer.disconnect(() => r()));
  await pool.end();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
