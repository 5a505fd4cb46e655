// A Kafka consumer that stays without its group coordinator is replaced by a new client (a
// librdkafka client can stay so for ever after a broker restart: docs/runtime.md "Kafka
// restarts"). Here Kafka is down longer than TANDEM_COORDINATOR_WAIT while the application
// writes on both sides: the runtime replaces its client, and once Kafka is back the new one joins
// the group, rows cross both ways and verify finds no difference. Then the runtime is stopped
// while Kafka is down, once before and once after its client was replaced: it ends within a
// bound with exit code 0 (a synchronous commit blocked its event loop 45 s there; a close that
// never returns kept the process alive for ever after a real wedge: lib/runtime/kafka-leftovers.ts).
import t from 'tap';
import { loadStackConfig, restartComponent, stackComponents } from '../../lib/stack';
import { waitUntilConverged, formatReport } from '../../lib/verify';
import { checkAfterFault } from '../../lib/workload/fault-check';
import { BackgroundWriters } from './fixtures/writers';
import { commentLogs, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const stack = loadStackConfig();
const WAIT_S = 10;
const DOWN_MS = 25_000;

t.setTimeout(15 * 60_000);

t.test(`Kafka down ${DOWN_MS / 1000} s, longer than TANDEM_COORDINATOR_WAIT=${WAIT_S}s: the consumer is replaced and the pipeline goes on`, async (t) => {
  const proc = startRuntime(runtimeEnv({ TANDEM_COORDINATOR_WAIT: `${WAIT_S}s`, TANDEM_STATUS_EVERY_MS: '500' }));
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  const writers = new BackgroundWriters({ a: urlA, b: urlB }, 5_000_000_000 + (process.pid % 1000) * 10_000_000);
  t.teardown(() => writers.stop());
  await waitFor('the runtime to run', () => proc.running, 180_000);
  await waitFor('the first assignment', () => proc.owned.size > 0, 60_000);

  const since = Date.now();
  const lines = (msg: RegExp) => proc.logs.filter((l) => Date.parse(String(l.time)) >= since && msg.test(String(l.msg)));
  await restartComponent(stack, 'kafka', (line) => t.comment(line), { downMs: DOWN_MS });
  await waitFor('the new client to be subscribed', () => lines(/^the new Kafka consumer is connected/).length > 0, 120_000);
  const replaced = lines(/^the Kafka consumer has had no group coordinator for \d+ s; replacing it/);
  // Once, usually; again if the new client needs longer than the wait to find the coordinator (harmless).
  t.ok(replaced.length >= 1, `the client was replaced after the wait (${replaced.length} times)`) || commentLogs(t, proc, since);
  const check = await checkAfterFault({ stack, dbA: urlA, dbB: urlB, timeoutMs: 120_000 });
  t.ok(check.crossedAToB && check.crossedBToA, `rows written afterwards cross both ways (a->b ${check.crossedAToB}, b->a ${check.crossedBToA})`) || commentLogs(t, proc, since);
  t.ok(proc.owned.size > 0, `the new client owns partitions (${[...proc.owned].join(', ')})`);
  await writers.pause();
  const converged = await waitUntilConverged({ a: urlA, b: urlB, tables: ['rooms'], timeoutMs: 120_000, intervalMs: 2000 });
  t.ok(converged.report.ok, 'verify finds no difference') || t.comment(formatReport(converged.report));
});

for (const replaced of [false, true]) {
  const when = replaced ? 'after its client was replaced' : 'before its client is replaced';
  t.test(`SIGTERM while Kafka is down, ${when}: the runtime ends with exit code 0 within 30 s`, async (t) => {
    const proc = startRuntime(runtimeEnv({ TANDEM_COORDINATOR_WAIT: '5s', TANDEM_STATUS_EVERY_MS: '500' }));
    showLogsOnFailure(t, proc);
    t.teardown(() => stopRuntime(proc, 'SIGKILL'));
    await waitFor('the runtime to run', () => proc.running, 180_000);
    await waitFor('the first assignment', () => proc.owned.size > 0, 60_000);
    const kafka = stackComponents(stack).kafka;
    t.comment(`kafka ${await kafka.down()}`);
    t.teardown(() => kafka.up());
    if (replaced) await waitFor('the client to be replaced', () => proc.logs.some((l) => /^the Kafka consumer has had no group coordinator/.test(String(l.msg))), 60_000);
    else await waitFor('the runtime to see that Kafka is away', () => proc.logs.some((l) => /^waiting for Kafka/.test(String(l.msg))), 30_000);
    const from = Date.now();
    const code = await stopRuntime(proc, 'SIGTERM', 30_000);
    t.equal(code, 0, `exit code 0 (after ${((Date.now() - from) / 1000).toFixed(1)} s)`);
    t.ok(proc.logs.some((l) => /^stopped/.test(String(l.msg))), 'it logged how it stopped');
  });
}
