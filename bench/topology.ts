// make bench-topology: one direction of the bidirectional topology against Debezium's JDBC sink
// connector, on the same preloaded topics (Debezium Avro change events for the chat tables,
// produced with Tandem's encoder and registered in the stack's registry), each draining them into
// its own empty database; both results are checked against the expected final state.
// `tsx bench/topology.ts scaling`: the same drain with 1 and then 2 Tandem instances in one group.
// Ends with {"bench":"topology",...} and {"bench":"resources",...} (or {"bench":"scaling",...}).
import { createConnection, type Connection } from 'mysql2/promise';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../lib/config';
import { DebeziumEncoder } from '../lib/debezium';
import { ConfluentSchemaRegistrySource } from '../lib/registry';
import { stackStatus, startMariaDb } from '../lib/stack';
import { ChatLoad, TABLES, type Change } from './support/chat-load';
import { checksums, createChatDatabase, diffSample, loadRows, sameState, showState, type TableSum } from './support/databases';
import { assertJdbcSinkHealthy, deleteConnector, startJdbcSink } from './support/jdbc-sink';
import { OffsetProbe, createTopics, deleteTopics, produceAll, type OutRecord, type Partition } from './support/kafka';
import { ISSUE_14_BASELINE, checkoutOf, runnableRoot } from './support/checkout';
import { LOG_DIR, UsageSampler, loadAverage, startNode, stopChild } from './support/processes';
import { ensureStack, type BenchStack } from './support/stack';
import { envList, envNumber, jsonLine, median, round, say, showSpread, spread, waitUntil } from './support/stats';
import { breakdown, scrape, showBreakdown, type Breakdown } from './support/timeline';
import { osFreePort } from '../lib/stack/ports';
import type { ChatTable } from './support/chat-load';

const EVENTS = envNumber('BENCH_EVENTS', 500_000);
const PARTITIONS = envNumber('BENCH_PARTITIONS', 4);
const RUNS = envNumber('BENCH_TOPOLOGY_RUNS', 2);
const JDBC_BATCHES = envList('BENCH_JDBC_BATCHES', [500, 2000, 5000]);
// The peer at one task, and at one task per partition (as many connections as Tandem's sink
// uses); the ratio is taken against its best.
const JDBC_TASKS = envList('BENCH_JDBC_TASKS', [1, PARTITIONS]);
const ECHOES = process.env.BENCH_ECHOES === '1';
const DRAIN_TIMEOUT_MS = envNumber('BENCH_DRAIN_TIMEOUT_S', 1800) * 1000;
/** BENCH_BASELINE=0 leaves out the drain of issue 14's baseline commit. */
const BASELINE = process.env.BENCH_BASELINE !== '0';
/** BENCH_FLOOR=0 leaves out the floor's drain (bench/floor.ts: the design card's libraries alone). */
const FLOOR = process.env.BENCH_FLOOR !== '0';

interface Preload {
  prefix: string;
  rowTopics: string[];
  tombstoneTopic: string;
  expected: Record<ChatTable, TableSum>;
  records: number;
  counts: ChatLoad['counts'];
}

interface Drain {
  rowsPerS: number;
  seconds: number;
  correct: boolean;
  state: string;
  /** CPU seconds of the target MariaDB server, and of the consumer (Tandem's process, or the Connect JVM), during the drain. */
  dbCpuS: number;
  consumerCpuS: number;
}

/** The target MariaDB's PID: its CPU per drain shows what each consumer's writes cost the database. */
let targetPid = 0;

async function preload(stack: BenchStack, target: Connection): Promise<Preload> {
  const prefix = `bt${Date.now().toString(36)}`;
  const rowTopics = TABLES.map((t) => `${prefix}.chat.${t}`);
  const tombstoneTopic = `${prefix}.chat.tandem_tombstones`;
  await createTopics(stack.env.TANDEM_BROKERS, [...rowTopics, tombstoneTopic], PARTITIONS);
  const encoder = new DebeziumEncoder({ registry: new ConfluentSchemaRegistrySource(stack.env.TANDEM_REGISTRY_URL), debeziumVersion: '3.5.0.Final' });
  // BENCH_ECHOES=1: every change carries Tandem's own server id, as its writes do when they come
  // back from the other side: the drain measures what an echo costs, and the target stays empty.
  const load = new ChatLoad(42, ECHOES ? loadConfig().serverId : 11);
  async function* records(): AsyncGenerator<OutRecord> {
    for (const c of load.changes(EVENTS)) yield* encoded(encoder, prefix, c);
  }
  const t0 = performance.now();
  const n = await produceAll(stack.env.TANDEM_BROKERS, records());
  say(`preload: ${EVENTS} changes (${load.counts.inserts} inserts, ${load.counts.updates} updates, ${load.counts.deletes} deletes) = ${n} records on ${PARTITIONS} partitions per topic, prefix ${prefix}, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await createChatDatabase(target, 'bench_expected');
  if (!ECHOES) for (const t of TABLES) await loadRows(target, 'bench_expected', t, load.final[t].values());
  const expected = await checksums(target, 'bench_expected');
  say(`expected final state: ${showState(expected)}`);
  return { prefix, rowTopics, tombstoneTopic, expected, records: n, counts: { ...load.counts } };
}

async function* encoded(encoder: DebeziumEncoder, prefix: string, c: Change): AsyncGenerator<OutRecord> {
  const topic = `${prefix}.chat.${c.table}`;
  const rec = await encoder.encode(topic, { op: c.op, before: c.before, after: c.after, source: c.source, key: c.key });
  yield { topic, key: rec.key, value: rec.value };
  if (c.tombstone) {
    yield { topic, ...(await encoder.tombstone(topic, c.key)) };
    const tombTopic = `${prefix}.chat.tandem_tombstones`;
    const t = await encoder.encode(tombTopic, { op: 'c', before: null, after: c.tombstone, source: { ...c.source, table: 'tandem_tombstones' } });
    yield { topic: tombTopic, key: t.key, value: t.value };
  }
}

/**
 * Waits until `group` has committed everything up to the end offsets of `topics`, or until
 * `reached()` says the target holds the expected state (checked every 2 s when given: after a
 * rebalance a commit refused by the broker is only retried with the partition's next batch, so the
 * committed offsets of a finished partition can stay behind).
 */
async function drained(stack: BenchStack, group: string, topics: string[], check: () => Promise<void> = async () => undefined, reached?: () => Promise<boolean>): Promise<'committed' | 'state'> {
  const probe = await OffsetProbe.connect(stack.env.TANDEM_BROKERS, group);
  let how: 'committed' | 'state' = 'committed';
  try {
    const parts: Partition[] = await probe.partitions(topics);
    const ends = await probe.endOffsets(parts);
    let polls = 0;
    await waitUntil(`group ${group} to commit the end offsets of ${topics.join(', ')}`, async () => {
      if (++polls % 20 === 0) {
        await check();
        if (reached && (await reached())) return (how = 'state') === 'state';
      }
      return (await probe.lag(parts, ends)) === 0;
    }, DRAIN_TIMEOUT_MS, 100);
  } finally {
    await probe.close();
  }
  return how;
}

async function verify(target: Connection, db: string, p: Preload): Promise<{ correct: boolean; state: string }> {
  const got = await checksums(target, db);
  const correct = sameState(got, p.expected);
  return { correct, state: correct ? showState(got) : `${showState(got)}; ${await diffSample(target, 'bench_expected', db)}` };
}

interface TandemDrain extends Drain {
  peakRssMb: number;
  cpuS: number;
  /** The CPU split by thread (all instances together). */
  threads: { main: number; helpers: number; librdkafka: number };
  startupS: number;
  /** Where the batches' wall-clock time went (one instance only). */
  timeline?: Breakdown;
}

/**
 * A drain by a Node process of the bench: Tandem's one direction (bench/one-way.ts), or the floor
 * (bench/floor.ts: the design card's libraries alone, none of Tandem's stages, runtime or sink).
 */
interface NodeDrainer {
  script: string;
  /** The child's environment, given its target database's URL and its consumer group. */
  env: (url: string, group: string) => Record<string, string>;
  /** The topics whose committed offsets end the drain. */
  topics: string[];
  /** Whether the child serves Tandem's /metrics (the wall-clock breakdown). */
  metrics: boolean;
}

function tandemDrainer(p: Preload, extraEnv: Record<string, string>): NodeDrainer {
  return {
    script: 'bench/one-way.ts',
    // One database as both a and b (a one-way drain): tandem doctor would refuse the shared server id.
    env: (url, group) => ({ TANDEM_DB_A_URL: url, TANDEM_DB_B_URL: url, TANDEM_GROUP_ID: group, BENCH_SOURCE_PREFIX: p.prefix, TANDEM_DLQ_TOPIC: `${p.prefix}.dlq`, TANDEM_DOCTOR: 'off', ...(process.env.BENCH_TANDEM_LOG_LEVEL ? { TANDEM_LOG_LEVEL: process.env.BENCH_TANDEM_LOG_LEVEL } : {}), ...extraEnv }),
    topics: [...p.rowTopics, p.tombstoneTopic],
    metrics: true,
  };
}

function floorDrainer(stack: BenchStack, p: Preload): NodeDrainer {
  return {
    script: 'bench/floor.ts',
    env: (url, group) => ({ BENCH_BROKERS: stack.env.TANDEM_BROKERS, BENCH_REGISTRY_URL: stack.env.TANDEM_REGISTRY_URL, BENCH_TARGET_URL: url, BENCH_GROUP: group, BENCH_TOPICS: p.rowTopics.join(',') }),
    // Like the JDBC sink, the row topics only: a delete is the row topic's delete event.
    topics: p.rowTopics,
    metrics: false,
  };
}

async function drainWithTandem(stack: BenchStack, target: Connection, targetUrl: string, p: Preload, tag: string, instances: number, extraEnv: Record<string, string> = {}, root?: string): Promise<TandemDrain> {
  return drainWithNode(stack, target, targetUrl, p, `tandem_${tag}`, instances, tandemDrainer(p, extraEnv), root);
}

async function drainWithNode(stack: BenchStack, target: Connection, targetUrl: string, p: Preload, tag: string, instances: number, drainer: NodeDrainer, root?: string): Promise<TandemDrain> {
  const db = `bench_${tag}`;
  await createChatDatabase(target, db);
  const group = `bench-${tag.replace(/_/g, '-')}-${p.prefix}`;
  const url = targetUrl.replace(/\/chat$/, `/${db}`);
  const env = drainer.env(url, group);
  const ports = await Promise.all(Array.from({ length: instances }, () => osFreePort(new Set())));
  const spawnedAt = performance.now();
  const children = Array.from({ length: instances }, (_, i) =>
    startNode(drainer.script, [], { ...env, TANDEM_HTTP_PORT: String(ports[i]) }, join(LOG_DIR, `${tag}-${p.prefix}-${i}.log`), process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${LOG_DIR}`] : [], root),
  );
  try {
    await Promise.all(children.map((c) => c.running));
    const before = instances === 1 && drainer.metrics ? await scrape(ports[0]) : undefined;
    const t0 = performance.now();
    const samplers = children.map((c) => new UsageSampler(c.pid));
    const dbSampler = new UsageSampler(targetPid);
    const reached = instances > 1 ? async () => sameState(await checksums(target, db), p.expected) : undefined;
    // A child that exits before the end (an error it could not get past) ends the drain at once.
    const died = children.map((c) => c.exited.then((code) => Promise.reject(new Error(`${drainer.script} exited with ${code} during the drain; see ${c.logFile}`))));
    const how = await Promise.race([drained(stack, group, drainer.topics, undefined, reached), ...died]);
    if (how === 'state') say(`    (${instances} instances: done by the target's state; the group's committed offsets stayed behind the end)`);
    const seconds = (performance.now() - t0) / 1000;
    const usage = samplers.map((s) => s.stop());
    const dbCpuS = dbSampler.stop().cpuS;
    const timeline = before ? breakdown(before, await scrape(ports[0])) : undefined;
    const v = await verify(target, db, p);
    const cpuS = usage.reduce((s, u) => s + u.cpuS, 0);
    const sum = (k: keyof TandemDrain['threads']) => usage.reduce((s, u) => s + u.threads[k], 0);
    const threads = { main: sum('main'), helpers: sum('helpers'), librdkafka: sum('librdkafka') };
    return { rowsPerS: EVENTS / seconds, seconds, ...v, dbCpuS, consumerCpuS: cpuS, peakRssMb: Math.max(...usage.map((u) => u.peakRssMb)), cpuS, threads, startupS: (t0 - spawnedAt) / 1000, ...(timeline ? { timeline } : {}) };
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
  }
}

async function drainWithDebezium(stack: BenchStack, target: Connection, port: number, p: Preload, tag: string, batchSize: number, tasks: number): Promise<Drain> {
  const db = `bench_dbz_${tag}`;
  await createChatDatabase(target, db);
  const name = `bench-jdbc-${p.prefix}-${tag}`;
  await startJdbcSink(stack.cfg, { name, topics: p.rowTopics, port, database: db, batchSize, tasks });
  try {
    const connectPids = (await stackStatus(stack.cfg)).find((l) => l.name === 'connect')?.pids ?? [];
    const t0 = performance.now();
    const dbSampler = new UsageSampler(targetPid);
    const connectSamplers = connectPids.map((pid) => new UsageSampler(pid));
    await drained(stack, `connect-${name}`, p.rowTopics, () => assertJdbcSinkHealthy(stack.cfg, name));
    const seconds = (performance.now() - t0) / 1000;
    const dbCpuS = dbSampler.stop().cpuS;
    const consumerCpuS = connectSamplers.reduce((sum, x) => sum + x.stop().cpuS, 0);
    const v = await verify(target, db, p);
    return { rowsPerS: EVENTS / seconds, seconds, ...v, dbCpuS, consumerCpuS };
  } finally {
    await deleteConnector(stack.cfg, name);
  }
}

/** CPU milliseconds per 1000 change events. */
const perK = (cpuS: number) => round((cpuS / EVENTS) * 1e6, 0);
const show = (what: string, d: Drain) =>
  say(`  ${what.padEnd(34)} ${Math.round(d.rowsPerS)} rows/s (${d.seconds.toFixed(1)} s) ${d.correct ? 'correct' : `WRONG: ${d.state}`}; CPU per 1k rows: target MariaDB ${perK(d.dbCpuS)} ms, consumer ${perK(d.consumerCpuS)} ms`);

const showThreads = (d: TandemDrain) =>
  say(`    CPU per 1k rows by thread: main ${perK(d.threads.main)} ms, V8 and libuv helpers (garbage collection) ${perK(d.threads.helpers)} ms, librdkafka ${perK(d.threads.librdkafka)} ms`);

/** The peer's configurations: every batch size at one task, then the best of them at each other task count. */
interface PeerSetting {
  batch: number;
  tasks: number;
}
const peerLabel = (x: PeerSetting) => `batch.size=${x.batch} tasks=${x.tasks}`;

async function topologyBench(stack: BenchStack, target: Connection, targetUrl: string, port: number, p: Preload): Promise<void> {
  const tandem: TandemDrain[] = [];
  const dbz: Drain[] = [];
  const base: TandemDrain[] = [];
  const floor: TandemDrain[] = [];
  const baseline = BASELINE ? checkoutOf(ISSUE_14_BASELINE) : { skipped: 'BENCH_BASELINE=0' };
  if ('skipped' in baseline) say(`issue 14's baseline (${ISSUE_14_BASELINE}) not measured: ${baseline.skipped}`);
  const perSetting = new Map<string, { setting: PeerSetting; rates: number[] }>();
  const fastest = () => [...perSetting.values()].sort((x, y) => Math.max(...y.rates) - Math.max(...x.rates))[0];
  for (let run = 0; run < RUNS; run++) {
    say(`run ${run + 1}/${RUNS} (load ${loadAverage()})`);
    // Alternate who goes first, so a warmer page cache or a busier minute does not favour one side.
    const runTandem = async () => {
      const d = await drainWithTandem(stack, target, targetUrl, p, `r${run}`, 1);
      show('Tandem one-way (1 instance)', d);
      say(`    peak RSS ${d.peakRssMb.toFixed(0)} MiB, CPU ${d.cpuS.toFixed(1)} s, start-up ${d.startupS.toFixed(1)} s (not counted)`);
      showThreads(d);
      if (d.timeline) for (const line of showBreakdown(d.timeline)) say(`    ${line}`);
      tandem.push(d);
      if ('root' in baseline) {
        const b = await drainWithTandem(stack, target, targetUrl, p, `r${run}base`, 1, {}, baseline.root);
        show(`Tandem at ${ISSUE_14_BASELINE} (issue 14's baseline)`, b);
        base.push(b);
      }
      if (FLOOR) {
        const f = await drainWithNode(stack, target, targetUrl, p, `floor_r${run}`, 1, floorDrainer(stack, p));
        show('floor: node-rdkafka + avsc + mysql2 alone', f);
        showThreads(f);
        floor.push(f);
      }
    };
    const runDbz = async () => {
      // The first run tries every batch size at the first task count, then the fastest at the
      // others; later runs use the fastest setting found.
      let settings: PeerSetting[];
      if (run === 0) settings = JDBC_BATCHES.map((batch) => ({ batch, tasks: JDBC_TASKS[0] }));
      else settings = [fastest()?.setting ?? { batch: JDBC_BATCHES[0], tasks: JDBC_TASKS[0] }];
      let best: Drain | undefined;
      const tryOne = async (x: PeerSetting) => {
        const d = await drainWithDebezium(stack, target, port, p, `r${run}_b${x.batch}_t${x.tasks}`, x.batch, x.tasks);
        show(`Debezium JDBC sink ${peerLabel(x)}`, d);
        if (d.correct) {
          const k = peerLabel(x);
          perSetting.set(k, { setting: x, rates: [...(perSetting.get(k)?.rates ?? []), d.rowsPerS] });
        }
        if (!best || (d.correct && (!best.correct || d.rowsPerS > best.rowsPerS))) best = d;
      };
      for (const x of settings) await tryOne(x);
      if (run === 0) {
        const batch = fastest()?.setting.batch ?? JDBC_BATCHES[0];
        for (const tasks of JDBC_TASKS.slice(1)) await tryOne({ batch, tasks });
      }
      if (best) dbz.push(best);
    };
    if (run % 2 === 0) {
      await runTandem();
      await runDbz();
    } else {
      await runDbz();
      await runTandem();
    }
  }
  const t = spread(tandem.map((d) => d.rowsPerS));
  const d = spread(dbz.map((x) => x.rowsPerS));
  const ratios = tandem.map((x, i) => x.rowsPerS / dbz[i].rowsPerS);
  const correct = [tandem, dbz, base, floor].every((drains) => drains.every((x) => x.correct));
  const best = fastest()?.setting ?? { batch: JDBC_BATCHES[0], tasks: JDBC_TASKS[0] };
  const tried = Object.fromEntries([...perSetting.entries()].map(([k, v]) => [k, Math.round(Math.max(...v.rates))]));
  const atTasks = (tasks: number) => Math.max(0, ...[...perSetting.values()].filter((v) => v.setting.tasks === tasks).flatMap((v) => v.rates));
  say(`topology: ${EVENTS} changes, ${p.records} records, ${PARTITIONS} partitions per topic`);
  say(`  Tandem one-way        ${showSpread(t, 'rows/s')}`);
  say(`  Debezium JDBC sink    ${showSpread(d, 'rows/s')} (best: ${peerLabel(best)}; tried ${Object.entries(tried).map(([k, r]) => `${k}: ${r}`).join(', ')} rows/s)`);
  say(`  ratio Tandem/Debezium (its best per run) ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
  const timelines = tandem.flatMap((x) => (x.timeline ? [x.timeline] : []));
  const cpuPerK = perK(median(tandem.map((x) => x.consumerCpuS)));
  // The same code's CPU per event moves with the machine's speed: issue 14's targets set against
  // its "now" figures are judged against that commit measured in this run.
  const baselineLine = base.length
    ? (() => {
        const rowsPerS = median(base.map((x) => x.rowsPerS));
        const cpu = perK(median(base.map((x) => x.consumerCpuS)));
        say(`  Tandem at ${ISSUE_14_BASELINE} ${showSpread(spread(base.map((x) => x.rowsPerS)), 'rows/s')}, CPU ${cpu} ms per 1k rows; this checkout ${round(t.median / rowsPerS, 2)}x its rows/s, ${round(cpuPerK / cpu, 2)} of its CPU per event`);
        return {
          baseline: { commit: 'root' in baseline ? baseline.commit : ISSUE_14_BASELINE, rows_per_s: Math.round(rowsPerS), cpu_ms_per_1k: cpu, correct: base.every((x) => x.correct) },
          rows_per_s_of_baseline: round(t.median / rowsPerS, 2),
          cpu_of_baseline: round(cpuPerK / cpu, 2),
        };
      })()
    : {};
  // What a plain use of the libraries costs alone, in the same run: how much of Tandem's CPU is theirs.
  const floorLine = floor.length
    ? (() => {
        const cpu = perK(median(floor.map((x) => x.consumerCpuS)));
        const byThread = (k: keyof TandemDrain['threads']) => perK(median(floor.map((x) => x.threads[k])));
        say(`  floor (node-rdkafka + avsc + mysql2 alone) ${showSpread(spread(floor.map((x) => x.rowsPerS)), 'rows/s')}, CPU ${cpu} ms per 1k rows; Tandem uses ${round(cpuPerK / cpu, 2)}x its CPU per event`);
        return {
          floor: { rows_per_s: Math.round(median(floor.map((x) => x.rowsPerS))), cpu_ms_per_1k: cpu, cpu_ms_per_1k_by_thread: { main: byThread('main'), helpers: byThread('helpers'), librdkafka: byThread('librdkafka') }, correct: floor.every((x) => x.correct) },
          cpu_of_floor: round(cpuPerK / cpu, 2),
        };
      })()
    : {};
  jsonLine({
    bench: 'topology',
    events: EVENTS,
    records: p.records,
    partitions: PARTITIONS,
    runs: RUNS,
    tandem_rows_per_s: Math.round(t.median),
    tandem_min: Math.round(t.min),
    tandem_max: Math.round(t.max),
    debezium_jdbc_rows_per_s: Math.round(d.median),
    debezium_min: Math.round(d.min),
    debezium_max: Math.round(d.max),
    debezium_batch_size: best.batch,
    debezium_tasks: best.tasks,
    debezium_rows_per_s_by_tasks: Object.fromEntries(JDBC_TASKS.map((n) => [n, Math.round(atTasks(n))])),
    debezium_settings_tried: tried,
    ratio: round(t.median / d.median, 2),
    correct,
    cpu_ms_per_1k: cpuPerK,
    tandem_db_cpu_ms_per_1k: perK(median(tandem.map((x) => x.dbCpuS))),
    debezium_db_cpu_ms_per_1k: perK(median(dbz.map((x) => x.dbCpuS))),
    connect_cpu_ms_per_1k: perK(median(dbz.map((x) => x.consumerCpuS))),
    cpu_ms_per_1k_by_thread: { main: perK(median(tandem.map((x) => x.threads.main))), helpers: perK(median(tandem.map((x) => x.threads.helpers))), librdkafka: perK(median(tandem.map((x) => x.threads.librdkafka))) },
    ...baselineLine,
    ...floorLine,
    ...(timelines.length ? { timeline: timelines[timelines.length - 1] } : {}),
  });
  jsonLine({ bench: 'resources', phase: 'topology', peak_rss_mb: Math.round(Math.max(...tandem.map((x) => x.peakRssMb))), cpu_s: round(Math.max(...tandem.map((x) => x.cpuS)), 1), cpu_s_per_100k_rows: round((Math.max(...tandem.map((x) => x.cpuS)) / EVENTS) * 100_000, 2) });
}

async function scalingBench(stack: BenchStack, target: Connection, targetUrl: string, p: Preload): Promise<void> {
  const rates: Record<number, number[]> = { 1: [], 2: [] };
  let correct = true;
  for (let run = 0; run < RUNS; run++) {
    for (const n of run % 2 === 0 ? [1, 2] : [2, 1]) {
      const d = await drainWithTandem(stack, target, targetUrl, p, `s${run}_${n}`, n);
      show(`Tandem one-way, ${n} instance(s)`, d);
      correct &&= d.correct;
      rates[n].push(d.rowsPerS);
    }
  }
  const one = spread(rates[1]);
  const two = spread(rates[2]);
  say(`scaling: ${PARTITIONS} partitions per topic, ${EVENTS} changes`);
  say(`  1 instance  ${showSpread(one, 'rows/s')}`);
  say(`  2 instances ${showSpread(two, 'rows/s')}`);
  jsonLine({ bench: 'scaling', partitions: PARTITIONS, events: EVENTS, runs: RUNS, instances_1_rows_per_s: Math.round(one.median), instances_2_rows_per_s: Math.round(two.median), speedup: round(two.median / one.median, 2), correct, cores: (await import('node:os')).cpus().length });
}

/** `KEY=value KEY2=value with spaces` → env (a value runs to the next ` KEY=`). */
function envOf(spec: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of spec.matchAll(/([A-Z_][A-Z0-9_]*)=(.*?)(?=\s+[A-Z_][A-Z0-9_]*=|\s*$)/g)) env[m[1]] = m[2];
  return env;
}

/**
 * A setting against the default, interleaved on one preload (BENCH_AB="KEY=value ..."), or this
 * checkout against another (BENCH_AB_ROOT=<checkout with node_modules, or a commit of this clone>:
 * "with" runs that one).
 * Compares CPU per 1,000 events divided by the target MariaDB's CPU in the same drain: the
 * machine's noise moves both alike, so the quotient shows a change the raw figure hides.
 */
async function abBench(stack: BenchStack, target: Connection, targetUrl: string, p: Preload): Promise<void> {
  const variant = envOf(process.env.BENCH_AB ?? '');
  const otherRoot = process.env.BENCH_AB_ROOT ? runnableRoot(process.env.BENCH_AB_ROOT) : undefined;
  if (Object.keys(variant).length === 0 && !otherRoot) throw new Error('BENCH_AB="KEY=value ..." or BENCH_AB_ROOT=<checkout> names what to compare');
  const label = [process.env.BENCH_AB, otherRoot].filter(Boolean).join(' ');
  const sides = { a: { env: {}, drains: [] as TandemDrain[] }, b: { env: variant, drains: [] as TandemDrain[] } };
  for (let run = 0; run < RUNS; run++) {
    for (const side of run % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      const d = await drainWithTandem(stack, target, targetUrl, p, `ab${run}${side}`, 1, sides[side].env, side === 'b' ? otherRoot : undefined);
      show(`Tandem one-way, ${side === 'a' ? 'default' : label}`, d);
      sides[side].drains.push(d);
    }
  }
  const summary = (drains: TandemDrain[]) => ({
    rows_per_s: Math.round(median(drains.map((d) => d.rowsPerS))),
    cpu_ms_per_1k: perK(median(drains.map((d) => d.consumerCpuS))),
    cpu_per_db_cpu: round(median(drains.map((d) => d.consumerCpuS / d.dbCpuS)), 3),
    peak_rss_mb: Math.round(Math.max(...drains.map((d) => d.peakRssMb))),
    correct: drains.every((d) => d.correct),
  });
  const a = summary(sides.a.drains);
  const b = summary(sides.b.drains);
  say(`ab: default ${JSON.stringify(a)}`);
  say(`ab: ${label} ${JSON.stringify(b)}`);
  jsonLine({ bench: 'topology-ab', events: EVENTS, runs: RUNS, variant: label, default: a, with: b, cpu_per_db_cpu_change: round(b.cpu_per_db_cpu / a.cpu_per_db_cpu - 1, 3) });
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'topology';
  if (mode !== 'topology' && mode !== 'scaling' && mode !== 'ab') throw new Error(`unknown mode ${mode} (topology | scaling | ab)`);
  mkdirSync(LOG_DIR, { recursive: true });
  const stack = await ensureStack();
  const server = await startMariaDb({ serverId: 31 });
  targetPid = server.pid;
  let topics: string[] = [];
  try {
    const target = await createConnection({ uri: server.url });
    try {
      const p = await preload(stack, target);
      topics = [...p.rowTopics, p.tombstoneTopic];
      if (mode === 'topology') await topologyBench(stack, target, server.url, server.port, p);
      else if (mode === 'scaling') await scalingBench(stack, target, server.url, p);
      else await abBench(stack, target, server.url, p);
    } finally {
      await target.end();
    }
  } finally {
    if (topics.length > 0) await deleteTopics(stack.env.TANDEM_BROKERS, topics).catch(() => undefined);
    if (process.env.BENCH_KEEP_TARGET) say(`target MariaDB kept for inspection: ${server.url} (pid ${server.pid}, data ${server.dataDir})`);
    else await server.stop();
    await stack.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-topology: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
