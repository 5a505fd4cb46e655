// Decoded Debezium records per second for a realistic chat message (DATETIME(6), DECIMAL(12,4),
// JSON, ~200-byte text), against the ceiling: bare avsc `fromBuffer` of the same key and value
// Avro bytes with no conversion at all. Ends with one JSON line.
import { DebeziumDecoder, DebeziumEncoder, shippedSchemas } from '../lib/debezium';
import { Decimal, LocalDateTime, type KafkaRecord } from '../lib/model';
import { HEADER_LENGTH, InMemorySchemaRegistry } from '../lib/registry';
import { bareAvroType } from './support/bare-avro';

const TOPIC = 'a.chat.messages';
const DISTINCT = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1500);

interface Contender {
  label: string;
  /** Decodes one pass over the records; returns how many it decoded. */
  pass: () => number | Promise<number>;
  rates: number[];
  decoded: number;
}

/** Runs every contender for RUN_MS in turn, RUNS times, so load on the machine hits all alike. */
async function measure(contenders: Contender[]): Promise<void> {
  // Round -1 warms the JIT up and is not counted.
  for (let run = -1; run < RUNS; run++) {
    for (const c of contenders) {
      const start = process.hrtime.bigint();
      let n = 0;
      let elapsedMs = 0;
      while (elapsedMs < RUN_MS) {
        n += await c.pass();
        elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
      }
      if (run >= 0) {
        c.rates.push(Math.round((n / elapsedMs) * 1000));
        c.decoded += n;
      }
    }
  }
  for (const c of contenders) {
    c.rates.sort((a, b) => a - b);
    console.log(`${c.label.padEnd(34)} min ${c.rates[0]}  median ${median(c.rates)}  max ${c.rates[c.rates.length - 1]} records/s`);
  }
}

function median(sorted: number[]): number {
  return sorted[sorted.length >> 1];
}

async function main(): Promise<void> {
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry });
  const records: KafkaRecord[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const after = {
      id: 1_000_000 + i,
      room_id: i % 50,
      author_id: 5000 + (i % 97),
      body: `message ${i} `.padEnd(200, 'lorem ipsum dolor sit amet '),
      // MariaDB's JSON column arrives as text (the MySQL connector would mark it io.debezium.data.Json).
      meta: `{"client":"web","seq":${i},"tags":["a","b"]}`,
      tip: new Decimal(BigInt(i * 12345 - 500_000), 4),
      sent_at: new LocalDateTime(1_700_000_000_000_000n + BigInt(i) * 1_000_123n, 6),
      edited_at: i % 3 === 0 ? new LocalDateTime(1_700_000_000_000_000n + BigInt(i) * 2_000_000n, 6) : null,
      updated_at: new LocalDateTime(1_700_000_000_000_000n + BigInt(i) * 1_000_321n, 6),
    };
    const source = {
      connector: 'mariadb', name: 'a', db: 'chat', table: 'messages', serverId: 1, gtid: `0-1-${i}`, file: 'mysql-bin.000003',
      pos: 4 + i * 300, row: 0, tsMs: 1_700_000_000_000 + i, snapshot: false, thread: 12,
    };
    records.push(await encoder.record(TOPIC, { op: i % 4 === 0 ? 'u' : 'c', before: i % 4 === 0 ? after : null, after, source }, { offset: i }));
  }
  const decoder = new DebeziumDecoder({ schemas: registry });
  await decoder.decode(records[0]);
  const bytes = records.reduce((sum, r) => sum + r.key!.length + r.value!.length, 0) / DISTINCT;
  console.log(`decode bench: ${TOPIC}, ${DISTINCT} distinct records, ${bytes.toFixed(0)} bytes key+value on average, ${RUNS} runs of ${RUN_MS} ms`);

  const schemas = shippedSchemas(TOPIC);
  const bareKey = bareAvroType(schemas.key);
  const bareValue = bareAvroType(schemas.value);
  const keys = records.map((r) => r.key!.subarray(HEADER_LENGTH));
  const values = records.map((r) => r.value!.subarray(HEADER_LENGTH));

  let sink = 0;
  const contender = (label: string, pass: Contender['pass']): Contender => ({ label, pass, rates: [], decoded: 0 });
  const bare = contender('bare avsc fromBuffer (key+value)', () => {
    for (let i = 0; i < DISTINCT; i++) {
      bareKey.fromBuffer(keys[i]);
      sink += bareValue.fromBuffer(values[i]).op.length;
    }
    return DISTINCT;
  });
  const cached = contender('DebeziumDecoder.decodeCached', () => {
    for (let i = 0; i < DISTINCT; i++) sink += decoder.decodeCached(records[i])!.source.row;
    return DISTINCT;
  });
  const awaited = contender('DebeziumDecoder.decode (await)', async () => {
    for (let i = 0; i < DISTINCT; i++) sink += (await decoder.decode(records[i]))!.source.row;
    return DISTINCT;
  });
  await measure([bare, cached, awaited]);
  if (sink === -1) console.log('unreachable');

  const ratio = median(cached.rates) / median(bare.rates);
  console.log(`ratio decodeCached / bare avsc (medians): ${ratio.toFixed(2)} (target >= 0.5)`);
  console.log(JSON.stringify({
    bench: 'decode',
    records: cached.decoded,
    records_per_s: median(cached.rates),
    records_per_s_min: cached.rates[0],
    records_per_s_max: cached.rates[cached.rates.length - 1],
    async_records_per_s: median(awaited.rates),
    raw_avsc_records_per_s: median(bare.rates),
    ratio: Number(ratio.toFixed(3)),
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
