// make bench-lag: replication lag end to end through the real stack. A writer inserts chat
// messages into database a at fixed rates (BENCH_LAG_RATES, each for BENCH_LAG_SECONDS); each row
// carries its commit time from MariaDB's own clock (sent_at = NOW(6), UTC). Debezium captures a,
// `tandem run bidirectional` (a child process) applies to b, and, in the same run, a third MariaDB
// replicates a natively (GTID, asynchronous). Pollers note when each row becomes visible on b and on
// the replica. Tandem's share is the Kafka record timestamp (when Debezium's record reached Kafka)
// to visibility on b, split row by row from Tandem's debug trace of its batches and transactions
// (bench/support/lag-split.ts); beside it, what Kafka and b's MariaDB take alone in the same window
// (bench/support/probes.ts). Ends with {"bench":"lag"} and {"bench":"native_replication"} per
// rate, then {"bench":"resources","phase":"lag"}.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { DebeziumDecoder } from '../lib/debezium';
import { LocalDateTime } from '../lib/model';
import { ConfluentSchemaRegistrySource } from '../lib/registry';
import { dbRootSocket, stackStatus, startMariaDb, type MariaDb } from '../lib/stack';
import { CpuWindow, showShares } from './support/cpu-shares';
import { OffsetProbe, readRange } from './support/kafka';
import { runnableRoot } from './support/checkout';
import { LOG_DIR, UsageSampler, loadAverage, startNode, stopChild } from './support/processes';
import { ensureStack } from './support/stack';
import { envList, envNumber, jsonLine, percentile, round, say, sleep, waitUntil } from './support/stats';
import { breakdown, scrape, showBreakdown } from './support/timeline';
import { indexBatchTrace, showSplit, splitRow, summarize, type LagSplit } from './support/lag-split';
import { CommitProbe, KafkaArrivalProbe } from './support/probes';
import { osFreePort } from '../lib/stack/ports';

const RATES = envList('BENCH_LAG_RATES', [500, 2000, 5000]);
const SECONDS = envNumber('BENCH_LAG_SECONDS', 60);
// Unmeasured writing at the first rate before the measured ones: a stack just started runs its JVMs
// (Connect above all) interpreted for a while, which is start-up, not lag.
const WARMUP_SECONDS = envNumber('BENCH_LAG_WARMUP_SECONDS', 15);
/** BENCH_LAG_TRACE=0: Tandem at info, without the debug trace the split is read from (what the trace itself costs). */
const TRACE = process.env.BENCH_LAG_TRACE !== '0';
/** BENCH_LAG_ROOT: another checkout (a directory with node_modules, or a commit) whose Tandem runs instead of this one's. */
const TANDEM_ROOT = process.env.BENCH_LAG_ROOT ? runnableRoot(process.env.BENCH_LAG_ROOT) : undefined;
const TICK_MS = 10;
const POLL_MS = 5;
const ROOM_ID = 990_000_001;
const TOPIC = 'a.chat.messages';
const TABLES_OF_A = ['rooms', 'members', 'messages', 'tandem_tombstones'].map((t) => `a.chat.${t}`);

/** Epoch ms (with µs as the fraction) of a DATETIME(6) text read in a UTC session. */
const utcMs = (text: string): number => Number(LocalDateTime.parse(text).epochMicros) / 1000;

async function utcSession(url: string): Promise<Connection> {
  const conn = await createConnection({ uri: url, dateStrings: true });
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

/**
 * Notes when each id from `fromId` on first shows up, polling every POLL_MS. Rows can commit out
 * of id order (parallel apply writes each partition on its own connection), so a higher id seen
 * says nothing of a lower one: each poll reads the ids above the highest seen, then asks again for
 * the ones skipped so far (few: a connection's rows that were behind).
 */
class VisibilityPoller {
  private readonly seenAt = new Map<number, number>();
  private readonly missing = new Set<number>();
  private high: number;
  lastSeenAtMs = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly conn: Connection, fromId: number) {
    this.high = fromId - 1;
    this.done = this.loop();
  }

  private note(rows: RowDataPacket[]): void {
    const atMs = performance.timeOrigin + performance.now();
    for (const r of rows) {
      const id = Number(r.id);
      this.missing.delete(id);
      for (let skipped = this.high + 1; skipped < id; skipped++) this.missing.add(skipped);
      if (id > this.high) this.high = id;
      this.seenAt.set(id, atMs);
      this.lastSeenAtMs = atMs;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const [fresh] = await this.conn.query<RowDataPacket[]>('SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT 50000', [this.high]);
      this.note(fresh);
      if (this.missing.size > 0) {
        const [late] = await this.conn.query<RowDataPacket[]>('SELECT id FROM messages WHERE id IN (?)', [[...this.missing].slice(0, 20000)]);
        this.note(late);
      }
      await sleep(POLL_MS);
    }
  }

  /** Every id from `fromId` up to `id` has been seen. */
  seenUpTo(id: number): boolean {
    if (this.high < id) return false;
    for (const m of this.missing) if (m <= id) return false;
    return true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** When `id` first showed up (upper bound: the answer time of the first poll that saw it). */
  visibleAt(id: number): number | undefined {
    return this.seenAt.get(id);
  }
}

/** Inserts `rate` rows/s for `seconds` in small multi-row statements; returns id → commit time (ms, DB clock). */
async function write(a: Connection, firstId: number, rate: number, seconds: number): Promise<{ commitMs: Map<number, number>; achieved: number }> {
  const total = Math.round(rate * seconds);
  const body = 'x'.repeat(180);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > sent) {
      const n = due - sent;
      const values = new Array(n).fill('(?, ?, 4242, ?, NOW(6), NOW(6))').join(', ');
      const args: unknown[] = [];
      for (let i = 0; i < n; i++) args.push(firstId + sent + i, ROOM_ID, body);
      await a.query(`INSERT INTO messages (id, room_id, author_id, body, sent_at, updated_at) VALUES ${values}`, args);
      sent = due;
    }
    await sleep(TICK_MS);
  }
  const achieved = total / ((performance.now() - t0) / 1000);
  const [rows] = await a.query<RowDataPacket[]>('SELECT id, sent_at FROM messages WHERE id BETWEEN ? AND ?', [firstId, firstId + total - 1]);
  return { commitMs: new Map(rows.map((r) => [Number(r.id), utcMs(String(r.sent_at))])), achieved };
}

async function startReplica(aUrl: string, aPort: number): Promise<MariaDb> {
  const replica = await startMariaDb({ serverId: 33, gtidDomainId: 3 });
  const a = await createConnection({ uri: aUrl });
  const admin = await replica.admin();
  try {
    // Same tables as a (its chat database, Tandem's tombstone table included), then start from a's current GTID position.
    await admin.query('CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    for (const table of ['rooms', 'members', 'messages', 'tandem_tombstones']) {
      const [rows] = await a.query<RowDataPacket[]>(`SHOW CREATE TABLE ${table}`);
      await admin.query(`USE chat; ${String(rows[0]['Create Table'])}`);
    }
    const [rooms] = await a.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM rooms WHERE id = ?', [ROOM_ID]);
    if (Number(rooms[0].n) === 0) throw new Error(`room ${ROOM_ID} must exist on a before the replica starts`);
    await admin.query('INSERT INTO chat.rooms (id, name) VALUES (?, ?)', [ROOM_ID, 'bench-lag']);
    const [pos] = await a.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS p');
    await admin.query(`SET GLOBAL gtid_slave_pos = ?`, [String(pos[0].p)]);
    await admin.query(`CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${aPort}, MASTER_USER = 'dbz', MASTER_PASSWORD = 'dbz', MASTER_USE_GTID = slave_pos`);
    await admin.query('START SLAVE');
    await waitUntil('the native replica to connect to a', async () => {
      const [st] = await admin.query<RowDataPacket[]>('SHOW SLAVE STATUS');
      const s = st[0];
      if (s && String(s.Last_Error ?? '') !== '') throw new Error(`replica: ${String(s.Last_Error)}`);
      if (s && String(s.Last_IO_Error ?? '') !== '') throw new Error(`replica: ${String(s.Last_IO_Error)}`);
      return s?.Slave_IO_Running === 'Yes' && s?.Slave_SQL_Running === 'Yes';
    }, 30_000);
  } catch (err) {
    await replica.stop();
    throw err;
  } finally {
    await admin.end();
    await a.end();
  }
  return replica;
}

interface CapturedRecord {
  recordMs: number;
  partition: number;
  offset: number;
}

/** Kafka record timestamp and position of each message id captured from a in [from, ends). */
async function recordTimes(brokers: string, registryUrl: string, from: Map<string, number>, ends: Map<string, number>, parts: { topic: string; partition: number }[]): Promise<Map<number, CapturedRecord>> {
  const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(registryUrl) });
  const out = new Map<number, CapturedRecord>();
  const records = await readRange(brokers, parts, from, ends);
  for (const m of records) {
    const ev = await decoder.decode({ topic: m.topic, partition: m.partition, offset: String(m.offset), timestamp: m.timestamp ?? 0, key: m.key === undefined || m.key === null ? null : Buffer.from(m.key), value: m.value ?? null, headers: {} });
    if (ev && ev.after && typeof ev.key.id === 'number' && !out.has(ev.key.id)) out.set(ev.key.id, { recordMs: m.timestamp ?? 0, partition: m.partition, offset: m.offset });
  }
  return out;
}

const ms = (x: number) => round(x, 1);

/** `topic/partition` → offset, as the probe's per-partition map of `topic`. */
const ofTopic = (offsets: Map<string, number>, topic: string) =>
  new Map([...offsets].filter(([k]) => k.startsWith(`${topic}/`)).map(([k, v]) => [Number(k.slice(topic.length + 1)), v]));

async function main(): Promise<void> {
  mkdirSync(LOG_DIR, { recursive: true });
  const stack = await ensureStack();
  const { TANDEM_DB_A_URL: aUrl, TANDEM_DB_B_URL: bUrl, TANDEM_BROKERS: brokers, TANDEM_REGISTRY_URL: registryUrl } = stack.env;
  const a = await utcSession(aUrl);
  const b = await utcSession(bUrl);
  // A fresh group, started at the current end of every topic: earlier runs' rows are history the
  // measurement must not wait for (a new group would otherwise re-read all of it).
  const group = `bench-lag-${Date.now().toString(36)}`;
  const start = await OffsetProbe.connect(brokers, group);
  try {
    const parts = await start.partitions([...TABLES_OF_A, ...TABLES_OF_A.map((t) => t.replace(/^a\./, 'b.'))]);
    start.commit(await start.endOffsets(parts));
    await waitUntil(`group ${group} to start at the end of the topics`, async () => (await start.committed(parts)).size === parts.length, 30_000);
  } finally {
    await start.close();
  }
  const httpPort = await osFreePort(new Set());
  // At debug, Tandem logs each finished batch's records and phases: the split of a slow row's lag.
  const tandemLog = join(LOG_DIR, `lag-${group}.log`);
  const tandem = startNode('lib/cli/main.ts', ['run', 'bidirectional'], { TANDEM_GROUP_ID: group, TANDEM_HTTP_PORT: String(httpPort), TANDEM_LOG_LEVEL: TRACE ? 'debug' : 'info' }, tandemLog, process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${LOG_DIR}`] : [], TANDEM_ROOT);
  let replica: MariaDb | undefined;
  let arrivals: KafkaArrivalProbe | undefined;
  let commits: CommitProbe | undefined;
  try {
    await tandem.running;
    // Subscribed from the end now, so that it owns the partitions before the measured rows come.
    arrivals = await KafkaArrivalProbe.start(brokers, `${group}-arrivals`, TOPIC);
    // A fresh marker: Tandem has caught up with the topics' history (a new group starts at the beginning) once it is on b.
    const marker = `bench-lag ${group}`;
    await a.query('INSERT INTO rooms (id, name, updated_at) VALUES (?, ?, NOW(6)) ON DUPLICATE KEY UPDATE name = VALUES(name), updated_at = VALUES(updated_at)', [ROOM_ID, marker]);
    await waitUntil('the bench room marker to reach b through Tandem (after the topics\' history)', async () => {
      const [r] = await b.query<RowDataPacket[]>('SELECT name FROM rooms WHERE id = ?', [ROOM_ID]);
      return r[0]?.name === marker;
    }, 600_000);
    // The marker can overtake other topics' history (one lane, interleaved topics): also wait until
    // Tandem's group has committed up to the end of every topic of a as it is now.
    const history = await OffsetProbe.connect(brokers, group);
    try {
      const all = await history.partitions(TABLES_OF_A);
      const ends = await history.endOffsets(all);
      await waitUntil(`Tandem's group ${group} to commit the end of a's topics`, async () => (await history.lag(all, ends)) === 0, 600_000, 250);
    } finally {
      await history.close();
    }
    // A message on b too: Debezium creates the messages topic with its first row, and Tandem's
    // pattern subscription finds a new topic at its next metadata refresh (5 s): once, not lag.
    const [warm] = await a.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS m FROM messages');
    const warmId = Math.max(Number(warm[0].m) + 1, 1_000_000_000);
    if (WARMUP_SECONDS > 0) {
      say(`warm-up: ${WARMUP_SECONDS} s at ${RATES[0]} rows/s, not measured`);
      await write(a, warmId, RATES[0], WARMUP_SECONDS);
    } else {
      await write(a, warmId, 1, 1);
    }
    const [last] = await a.query<RowDataPacket[]>('SELECT MAX(id) AS m FROM messages');
    await waitUntil('the warm-up rows on b', async () => {
      const [r] = await b.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE id = ?', [Number(last[0].m)]);
      return Number(r[0].n) === 1;
    }, 300_000);
    replica = await startReplica(aUrl, stack.cfg.ports.dbA);
    const r = await utcSession(replica.url);
    const sampler = new UsageSampler(tandem.pid);
    // Whose CPU each rate used: the stack's parts, the replica, Tandem and this process (writer, pollers).
    const stackPids = Object.fromEntries((await stackStatus(stack.cfg)).map((c) => [c.name, c.pids]));
    const replicaPid = replica.pid;
    commits = await CommitProbe.start(bUrl, dbRootSocket(stack.cfg, 'b'));
    const probe = await OffsetProbe.connect(brokers, `${group}-probe`);
    say(`lag: rates ${RATES.join(', ')} rows/s, ${SECONDS} s each; Tandem pid ${tandem.pid}; load ${loadAverage()}`);
    try {
      for (const rate of RATES) {
        const [mx] = await a.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS m FROM messages');
        const firstId = Math.max(Number(mx[0].m) + 1, 1_000_000_000);
        // The topic appears with a's first captured row: partitions are looked up before and after.
        const from = await probe.endOffsets(await probe.partitions([TOPIC]));
        const onB = new VisibilityPoller(b, firstId);
        const onReplica = new VisibilityPoller(r, firstId);
        const scraped = await scrape(httpPort);
        const cpuWindow = new CpuWindow({ tandem: [tandem.pid], ...stackPids, replica: [replicaPid], 'bench (writer, pollers)': [process.pid] });
        const { commitMs, achieved } = await write(a, firstId, rate, SECONDS);
        const cpu = cpuWindow.stop();
        const lastId = firstId + commitMs.size - 1;
        await waitUntil(`rows up to ${lastId} on b and on the replica`, () => onB.seenUpTo(lastId) && onReplica.seenUpTo(lastId), 300_000, 50);
        await Promise.all([onB.stop(), onReplica.stop()]);
        const timeline = breakdown(scraped, await scrape(httpPort));
        const parts = await probe.partitions([TOPIC]);
        const ends = await probe.endOffsets(parts);
        const recorded = await recordTimes(brokers, registryUrl, from, ends, parts);
        const total: number[] = [];
        const before: number[] = [];
        const own: number[] = [];
        const native: number[] = [];
        const trace = indexBatchTrace(readFileSync(tandemLog, 'utf8'), TOPIC);
        const splits: LagSplit[] = [];
        for (const [id, committed] of [...commitMs.entries()].sort((x, y) => x[0] - y[0])) {
          const seenB = onB.visibleAt(id);
          const seenR = onReplica.visibleAt(id);
          const rec = recorded.get(id);
          if (seenB !== undefined) total.push(seenB - committed);
          if (seenB !== undefined && rec !== undefined) {
            before.push(rec.recordMs - committed);
            own.push(seenB - rec.recordMs);
            const split = splitRow(trace, { ...rec, visibleMs: seenB });
            if (split) splits.push(split);
          }
          if (seenR !== undefined) native.push(seenR - committed);
        }
        // Keeping up: the lag of the last tenth of the rows against the first tenth's (a backlog
        // that grows shows as a positive difference).
        const tenth = Math.max(1, Math.floor(total.length / 10));
        const growth = percentile(total.slice(-tenth), 50) - percentile(total.slice(0, tenth), 50);
        const lastR = onReplica.lastSeenAtMs;
        const firstCommit = [...commitMs.values()].reduce((m, x) => Math.min(m, x), Infinity);
        const lastSeen = onB.lastSeenAtMs;
        const split = summarize(splits);
        const commitRtt = commits.between(firstCommit, lastSeen);
        const kafkaArrival = arrivals.delays(ofTopic(from, TOPIC), ofTopic(ends, TOPIC));
        say(`rate ${rate} rows/s (achieved ${Math.round(achieved)}), ${commitMs.size} rows, ${recorded.size} Kafka records matched; load ${loadAverage()}`);
        say(`  a -> b through Debezium + Tandem  p50 ${ms(percentile(total, 50))}  p95 ${ms(percentile(total, 95))}  p99 ${ms(percentile(total, 99))}  max ${ms(percentile(total, 100))} ms`);
        say(`    before Tandem (commit -> Kafka)  p50 ${ms(percentile(before, 50))}  p95 ${ms(percentile(before, 95))}  p99 ${ms(percentile(before, 99))} ms`);
        say(`    Tandem (Kafka -> visible on b)   p50 ${ms(percentile(own, 50))}  p95 ${ms(percentile(own, 95))}  p99 ${ms(percentile(own, 99))} ms`);
        if (split) for (const line of showSplit(split)) say(`    ${line}`);
        say(`    outside Tandem, same window: a MariaDB commit on b from a plain client (1-row INSERT, ${commitRtt.length} probes)  p50 ${ms(percentile(commitRtt, 50))}  p99 ${ms(percentile(commitRtt, 99))} ms`);
        say(`    outside Tandem, same window: Kafka record timestamp -> a consumer with Tandem's client and settings doing nothing else (${kafkaArrival.length} records)  p50 ${ms(percentile(kafkaArrival, 50))}  p99 ${ms(percentile(kafkaArrival, 99))} ms`);
        say(`  a -> native replica               p50 ${ms(percentile(native, 50))}  p95 ${ms(percentile(native, 95))}  p99 ${ms(percentile(native, 99))}  max ${ms(percentile(native, 100))} ms`);
        say(`  backlog: the last tenth's median lag minus the first tenth's ${ms(growth)} ms (keeps up when about 0)`);
        say(`  CPU while writing, % of one core: ${showShares(cpu)}`);
        for (const line of showBreakdown(timeline)) say(`  Tandem's ${line.trimStart()}`);
        jsonLine({
          bench: 'lag', rate, achieved_rate: Math.round(achieved), seconds: SECONDS, rows: commitMs.size,
          p50_ms: ms(percentile(total, 50)), p95_ms: ms(percentile(total, 95)), p99_ms: ms(percentile(total, 99)), e2e_p99_ms: ms(percentile(total, 99)),
          before_tandem_p50_ms: ms(percentile(before, 50)), before_tandem_p99_ms: ms(percentile(before, 99)),
          tandem_p50_ms: ms(percentile(own, 50)), tandem_p95_ms: ms(percentile(own, 95)), tandem_p99_ms: ms(percentile(own, 99)),
          backlog_growth_ms: ms(growth), poll_ms: POLL_MS,
          ...(split ? { tandem_split: split } : {}),
          probe_commit_b_p50_ms: ms(percentile(commitRtt, 50)), probe_commit_b_p99_ms: ms(percentile(commitRtt, 99)),
          probe_kafka_arrival_p50_ms: ms(percentile(kafkaArrival, 50)), probe_kafka_arrival_p99_ms: ms(percentile(kafkaArrival, 99)), cpu_pct: cpu.byPart, machine_busy_pct: cpu.machineBusyPct, timeline,
        });
        jsonLine({
          bench: 'native_replication', rate, rows: native.length,
          p50_ms: ms(percentile(native, 50)), p95_ms: ms(percentile(native, 95)), p99_ms: ms(percentile(native, 99)),
          apply_rows_per_s: Math.round(native.length / ((lastR - firstCommit) / 1000)),
        });
      }
    } finally {
      await probe.close();
      await r.end();
    }
    const usage = sampler.stop();
    jsonLine({ bench: 'resources', phase: 'lag', peak_rss_mb: Math.round(usage.peakRssMb), cpu_s: round(usage.cpuS, 1), rows: Math.round(RATES.reduce((s, x) => s + x * SECONDS, 0)) });
  } finally {
    await stopChild(tandem);
    await arrivals?.stop();
    await commits?.stop();
    await replica?.stop();
    await a.end();
    await b.end();
    await stack.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-lag: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
