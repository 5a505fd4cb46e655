// Every part of the stack restarted after real traffic, with `tandem run bidirectional` running
// throughout and the application writing on both sides: Kafka Connect stopped (SIGTERM, right
// after a Tandem write was a's connector's last event) and killed (SIGKILL), each MariaDB, Kafka
// and the registry restarted; then, as a user does the next day, the runtime stopped, the whole
// stack stopped and started again, and the runtime started again. After each: every part up and
// both source connectors RUNNING (never restarted by the test), a row written on each side
// afterwards crosses, and verify finds no difference once the writers pause.
import t, { type Test } from 'tap';
import { loadStackConfig, restartComponent, stackComponents, stackDown, stackUp, type ComponentName } from '../../lib/stack';
import { waitUntilConverged, formatReport } from '../../lib/verify';
import { checkAfterFault } from '../../lib/workload/fault-check';
import { BackgroundWriters } from './fixtures/writers';
import { connectorHasRead, tandemGtid } from './fixtures/connector-position';
import { commentLogs, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const stack = loadStackConfig();
const log = (line: string) => t.comment(line);
const env = runtimeEnv({ TANDEM_STATUS_EVERY_MS: '500' });
const TABLES = ['rooms', 'members', 'messages'];

t.setTimeout(25 * 60_000);

t.test('every part restarted after real traffic; the pipeline comes back each time', async (t) => {
  let proc = startRuntime(env);
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  const writers = new BackgroundWriters({ a: urlA, b: urlB }, 8_000_000_000 + (process.pid % 1000) * 10_000_000);
  t.teardown(() => writers.stop());
  await waitFor('the runtime to run', () => proc.running, 180_000);

  /** The pipeline after a fault: parts running, rows crossing, and no difference once writers pause. */
  const survived = async (t: Test, what: string, faultAtMs: number) => {
    const check = await checkAfterFault({ stack, dbA: urlA, dbB: urlB, timeoutMs: 180_000 });
    t.ok(check.allRunning, `${what}: every part up and both connectors RUNNING (${check.parts})`);
    // What the runtime did since the fault says which side stalled (its lag: records it holds).
    t.ok(check.crossedAToB && check.crossedBToA, `${what}: rows written afterwards cross both ways (a->b ${check.crossedAToB}, b->a ${check.crossedBToA})`) || commentLogs(t, proc, faultAtMs);
    await writers.pause();
    const converged = await waitUntilConverged({ a: urlA, b: urlB, tables: TABLES, timeoutMs: 180_000, intervalMs: 2000 });
    t.ok(converged.report.ok, `${what}: verify finds no difference`) || t.comment(formatReport(converged.report));
    writers.resume();
  };

  await t.test('Connect stopped right after a Tandem write on a, the application writing while it is down', async (t) => {
    await writers.pause();
    // Tandem's write becomes a's last change: a row from b, applied on a, read by a's connector
    // (which drops it: Tandem wrote it) and stored in its offset.
    const probe = await checkAfterFault({ stack, dbA: urlA, dbB: urlB, timeoutMs: 60_000 });
    t.ok(probe.crossedBToA, 'a row from b was written on a by Tandem');
    const written = await tandemGtid(urlA);
    t.ok(written, `Tandem's write on a has a GTID of its own domain (${written})`);
    await waitFor(`a's connector to store its read of Tandem's write ${written} in its offset`, () => connectorHasRead(stack, 'a', written!), 60_000);
    const connect = stackComponents(stack).connect;
    const faultAtMs = Date.now();
    log(`connect ${await connect.down()}`);
    writers.resume();
    await new Promise((r) => setTimeout(r, 3000));
    await connect.up();
    await survived(t, 'Connect SIGTERM', faultAtMs);
  });

  const faults: { name: ComponentName; kill?: boolean; label: string }[] = [
    { name: 'connect', kill: true, label: 'Connect SIGKILL' },
    { name: 'db-a', label: 'MariaDB a restarted' },
    { name: 'db-b', label: 'MariaDB b restarted' },
    { name: 'kafka', label: 'Kafka restarted' },
    { name: 'registry', label: 'registry restarted' },
  ];
  for (const f of faults) {
    await t.test(`${f.label} while the application writes`, async (t) => {
      await new Promise((r) => setTimeout(r, 2000));
      const faultAtMs = Date.now();
      const downMs = await restartComponent(stack, f.name, log, { kill: f.kill });
      t.comment(`${f.label}: down ${(downMs / 1000).toFixed(1)}s`);
      await survived(t, f.label, faultAtMs);
    });
  }

  await t.test('the next day: runtime stopped, stack-down, stack-up, runtime started again', async (t) => {
    await writers.pause();
    const faultAtMs = Date.now();
    t.equal(await stopRuntime(proc, 'SIGTERM'), 0, 'the runtime stops cleanly');
    await stackDown(stack, log);
    await stackUp(stack, log);
    proc = startRuntime(env);
    showLogsOnFailure(t, proc);
    writers.resume();
    await waitFor('the runtime to run again', () => proc.running, 180_000);
    await survived(t, 'stack-down + stack-up + run', faultAtMs);
  });

  t.ok(writers.done.a > 50 && writers.done.b > 50, `the application wrote throughout (a ${writers.done.a}, b ${writers.done.b} statements)`);
});
