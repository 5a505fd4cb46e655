// One convergence run through the whole pipeline: seed, start the topology, write on both masters
// at once while faults are injected, stop the writers, wait until verify finds the databases
// identical (the settle time), then read from Kafka how many changes crossed and that none looped.
import { defaultSettings } from '../config';
import { ensureConnectorsRunning, findRecord, stackComponents, type StackConfig } from '../stack';
import { checkTombstones, waitUntilConverged, type TombstoneCheck, type VerifyReport } from '../verify';
import { countCrossings, recordsBetween, topicOffsets, type Crossings, type Offsets } from './crossings';
import { checkAfterFault, faultCheckOk, type FaultCheck } from './fault-check';
import { poisonKey, type Fault, type FaultContext } from './faults';
import { formatWorkload, runWorkload, seedWorkload, type WorkloadStats } from './runner';
import { TopologyProcess } from './topology-process';
import type { CounterSnapshot } from '../observe';

export interface ConvergenceOptions {
  seed: number;
  /** Stop the writers after this many operations; or, with `untilFaultsDone`, once every fault was checked. */
  operations?: number;
  /** The writers go on until every fault was injected and checked, then `tailMs` more. */
  untilFaultsDone?: { firstAtMs: number; gapMs: number; tailMs: number };
  ratePerS: number;
  writers?: number;
  faults: Fault[];
  stack: StackConfig;
  env: PipelineEnv;
  tables?: string[];
  settleTimeoutMs?: number;
  log?: (line: string) => void;
  /** A file that keeps everything the runtime logs, over its restarts. */
  runtimeLog?: string;
}

/** Where the pipeline under test lives. */
export interface PipelineEnv {
  brokers: string;
  registryUrl: string;
  dbA: string;
  dbB: string;
  serverId?: number;
  dlqTopic?: string;
}

/** The pipeline's addresses from TANDEM_* variables, falling back to Tandem's own defaults. */
export function pipelineEnv(env: NodeJS.ProcessEnv = process.env): PipelineEnv {
  const pick = (name: string) => env[name] || defaultSettings[name];
  return { brokers: pick('TANDEM_BROKERS'), registryUrl: pick('TANDEM_REGISTRY_URL'), dbA: pick('TANDEM_DB_A_URL'), dbB: pick('TANDEM_DB_B_URL') };
}

export interface FaultResult {
  name: string;
  /** Milliseconds after the writers started. */
  atMs: number;
  /** Injected, every part RUNNING again and rows crossed both ways afterwards. */
  ok: boolean;
  note: string;
  /** How long the part was down (faults that take one down). */
  downMs?: number;
  /** The check after it (absent when the injection itself failed). */
  check?: FaultCheck;
}

export interface ConvergenceResult {
  seed: number;
  workload: WorkloadStats;
  faults: FaultResult[];
  /** From the writers' stop to the first clean verify. */
  settleMs: number;
  /** The application tables: must be identical. */
  report: VerifyReport;
  /**
   * Tandem's own tandem_tombstones, compared once the application tables converged; differences
   * a newer row on both sides makes irrelevant are told apart (see lib/verify/tombstones.ts).
   */
  tombstones: TombstoneCheck;
  crossings: Crossings;
  /** Records appended to the change topics in the quiet seconds after convergence (a loop would add some). */
  quietGrowth: number;
  counters: CounterSnapshot;
  runtimeUnexpectedExits: number;
  /** Whether the poison record (when injected) was found in the dead-letter topic. */
  poisonDeadLettered?: boolean;
}

const TABLES = ['rooms', 'members', 'messages'];

const minus = (x: CounterSnapshot, y: CounterSnapshot): CounterSnapshot =>
  Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v - y[k as keyof CounterSnapshot]])) as CounterSnapshot;

/**
 * Waits until the runtime has no lag and the change topics stop growing (two snapshots 3 s apart
 * equal), then watches 3 s more: `growth` is what was appended in that last window (0 unless
 * something keeps travelling), or what was appended over the whole wait when it timed out.
 */
async function waitQuiet(brokers: string, prefixes: string[], runtime: TopologyProcess, timeoutMs: number): Promise<{ offsets: Offsets; growth: number }> {
  const start = await topicOffsets(brokers, prefixes);
  const deadline = Date.now() + timeoutMs;
  let prev = start;
  while (Date.now() < deadline) {
    await runtime.caughtUp(Math.max(1000, deadline - Date.now())).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 3000));
    const cur = await topicOffsets(brokers, prefixes);
    if (recordsBetween(prev, cur) === 0) {
      await new Promise((r) => setTimeout(r, 3000));
      return { offsets: cur, growth: recordsBetween(cur, await topicOffsets(brokers, prefixes)) };
    }
    prev = cur;
  }
  return { offsets: prev, growth: recordsBetween(start, prev) };
}

export async function runConvergence(o: ConvergenceOptions): Promise<ConvergenceResult> {
  const log = o.log ?? (() => undefined);
  const tables = o.tables ?? TABLES;
  const serverId = o.env.serverId ?? 4100;
  const prefixes = ['a.chat.', 'b.chat.'];
  await seedWorkload(o.env.dbA, o.env.dbB);
  const runtime = new TopologyProcess('bidirectional', {
    ...process.env,
    TANDEM_BROKERS: o.env.brokers,
    TANDEM_REGISTRY_URL: o.env.registryUrl,
    TANDEM_DB_A_URL: o.env.dbA,
    TANDEM_DB_B_URL: o.env.dbB,
    // One group per stack: a later run resumes where the last one committed instead of replaying
    // every earlier run (which would also blur this run's figures).
    TANDEM_GROUP_ID: process.env.TANDEM_CONVERGENCE_GROUP ?? 'tandem-convergence',
  }, o.runtimeLog);
  runtime.start();
  try {
    // A clean start: whatever earlier runs left must have converged before this run's writes.
    const before = await waitUntilConverged({ a: o.env.dbA, b: o.env.dbB, tables, timeoutMs: 300_000, intervalMs: 2000 });
    if (!before.report.ok) throw new Error(`the databases differ before the run started (${before.report.differences} differences)`);
    // Figures count this run only: what the runtime did catching up with earlier records is the baseline.
    await runtime.caughtUp(300_000);
    const baseline = runtime.counters();
    const from = await topicOffsets(o.env.brokers, prefixes);
    log(`seed ${o.seed}: ${o.operations} operations at ${o.ratePerS}/s, faults: ${o.faults.map((f) => f.name).join(', ') || 'none'}`);

    const ctx: FaultContext = { runtime, stack: o.stack, brokers: o.env.brokers, dbA: o.env.dbA, dbB: o.env.dbB, seed: o.seed, log };
    const t0 = Date.now();
    const faults: FaultResult[] = [];
    const stopWriters = new AbortController();
    const dueAt = (i: number): number => {
      // One after the other: the first after firstAtMs, each next gapMs after the previous one's check.
      if (o.untilFaultsDone) return i === 0 ? t0 + o.untilFaultsDone.firstAtMs : Date.now() + o.untilFaultsDone.gapMs;
      const expectedMs = ((o.operations ?? 0) / o.ratePerS) * 1000;
      // Spread over the middle of the run, one after the other.
      return t0 + (expectedMs * (i + 1)) / (o.faults.length + 1);
    };
    const injecting = (async () => {
      for (let i = 0; i < o.faults.length; i++) {
        const due = dueAt(i);
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const f = o.faults[i];
        const atMs = Date.now() - t0;
        let result: FaultResult;
        try {
          const injected = await f.inject(ctx);
          // The pipeline must come back by itself: parts RUNNING, rows crossing both ways.
          const check = await checkAfterFault({ stack: o.stack, dbA: o.env.dbA, dbB: o.env.dbB, timeoutMs: 240_000 });
          result = { name: f.name, atMs, ok: faultCheckOk(check), note: injected.note, downMs: injected.downMs, check };
          if (!check.allRunning) {
            // Recorded as not ok; the connectors are restarted so the rest of the run still means something.
            await ensureConnectorsRunning(o.stack, stackComponents(o.stack).connect.logFile).catch((err: unknown) => log(`restarting the connectors failed: ${String(err)}`));
          }
        } catch (err) {
          result = { name: f.name, atMs, ok: false, note: err instanceof Error ? err.message : String(err) };
        }
        faults.push(result);
        const c = result.check;
        log(
          `fault ${f.name} at ${(atMs / 1000).toFixed(1)}s: ${result.note}` +
            (result.downMs !== undefined ? `; down ${(result.downMs / 1000).toFixed(1)}s` : '') +
            (c ? `; all running ${c.allRunning ? 'yes' : `NO (${c.parts})`}; rows crossed a->b ${c.crossedAToB ? 'yes' : 'NO'}, b->a ${c.crossedBToA ? 'yes' : 'NO'}` : ''),
        );
      }
      if (o.untilFaultsDone) {
        await new Promise((r) => setTimeout(r, o.untilFaultsDone?.tailMs ?? 0));
        stopWriters.abort();
      }
    })();
    const workload = await runWorkload({
      a: o.env.dbA,
      b: o.env.dbB,
      seed: o.seed,
      ...(o.untilFaultsDone ? { durationMs: 24 * 3_600_000, signal: stopWriters.signal } : { operations: o.operations }),
      ratePerS: o.ratePerS,
      writers: o.writers,
    });
    const stoppedAt = Date.now();
    log(formatWorkload(workload));
    await injecting;

    const converged = await waitUntilConverged({ a: o.env.dbA, b: o.env.dbB, tables, timeoutMs: o.settleTimeoutMs ?? 180_000, intervalMs: 1000 });
    const settleMs = Date.now() - stoppedAt;
    log(`${converged.report.ok ? 'converged' : 'NOT converged'} ${(settleMs / 1000).toFixed(1)}s after the writers stopped (${converged.attempts} verify runs)`);
    // Quiet: with no application writes, the last tombstone writes and their echoes drain, then
    // nothing may travel any more. A loop never gets there.
    const quiet = await waitQuiet(o.env.brokers, prefixes, runtime, 120_000);
    const tombstones = await checkTombstones(o.env.dbA, o.env.dbB);
    const to = quiet.offsets;
    const quietGrowth = quiet.growth;
    const crossings = await countCrossings({ brokers: o.env.brokers, registryUrl: o.env.registryUrl, from, to, tandemServerId: serverId });
    await runtime.freshStatus().catch(() => undefined);
    let poisonDeadLettered: boolean | undefined;
    if (o.faults.some((f) => f.name === 'poison-record')) {
      const key = poisonKey(o.seed);
      poisonDeadLettered = await findRecord(o.env.brokers, o.env.dlqTopic ?? 'tandem.dlq', (r) => r.key?.toString() === key, 60_000).then(
        () => true,
        () => false,
      );
    }
    return {
      seed: o.seed,
      workload,
      faults,
      settleMs,
      report: converged.report,
      tombstones,
      crossings,
      quietGrowth,
      counters: minus(runtime.counters(), baseline),
      runtimeUnexpectedExits: runtime.unexpectedExits,
      poisonDeadLettered,
    };
  } catch (err) {
    log(`runtime's last lines:\n${runtime.tail.slice(-15).join('\n')}`);
    throw err;
  } finally {
    await runtime.stop();
  }
}

/** The summary lines a run prints (and the soak writes to soak/RESULTS.md). */
export function summarize(r: ConvergenceResult): Record<string, number | string | boolean> {
  return {
    seed: r.seed,
    operations: r.workload.operations,
    changed_rows: r.workload.changed,
    refused_by_db: r.workload.refused,
    conflicts_resolved: r.counters.conflictsResolved,
    lww_refused_at_sink: r.counters.skipped,
    echoes_suppressed: r.counters.echoesSuppressed,
    dead_lettered: r.counters.deadLettered,
    app_changes_a: r.crossings.a.app,
    app_changes_b: r.crossings.b.app,
    tandem_writes_a: r.crossings.a.tandem,
    tandem_writes_b: r.crossings.b.tandem,
    no_loop: r.crossings.noLoop && r.quietGrowth === 0,
    rows_a: r.report.rowsA,
    rows_b: r.report.rowsB,
    differences: r.report.differences,
    tombstone_differences: r.tombstones.report.differences,
    tombstone_differences_dominated: r.tombstones.dominated,
    settle_s: Number((r.settleMs / 1000).toFixed(1)),
    runtime_restarts_by_supervisor: r.runtimeUnexpectedExits,
    ...(r.poisonDeadLettered === undefined ? {} : { poison_dead_lettered: r.poisonDeadLettered }),
  };
}
