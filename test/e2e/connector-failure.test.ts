// A source connector that fails (here: its offset names a GTID the server never wrote, so the task
// fails at start like the FAILED connectors of issue 12) is visible: `make stack-status` names it
// with its error and what to do and exits non-zero; `tandem run` logs the failure with the fix and
// its status line shows the direction as FAILED; once the cause is fixed and the connector
// restarted, the runtime says it runs again and rows cross.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { ConnectClient, failureOf, isRunning } from '../../lib/connect';
import { clientEnv, loadStackConfig } from '../../lib/stack';
import { rowsCross } from '../../lib/workload/fault-check';
import { ROOT, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const stack = loadStackConfig();
const connectUrl = clientEnv(stack).TANDEM_CONNECT_URL;
const client = new ConnectClient(connectUrl, 30_000);
const NAME = 'tandem-source-a';

t.setTimeout(10 * 60_000);

t.test('a FAILED source connector is said loudly, by the stack and by the runtime, until it runs again', async (t) => {
  const saved = await client.offsets(NAME);
  t.ok(saved.length > 0 && saved[0].offset !== null, 'the connector has an offset to restore');
  const restore = async () => {
    await client.stop(NAME);
    await waitFor(`${NAME} STOPPED`, async () => (await client.status(NAME)).state === 'STOPPED', 60_000);
    await client.alterOffsets(NAME, saved);
    await client.resume(NAME);
    await waitFor(`${NAME} RUNNING`, async () => isRunning(await client.status(NAME)), 120_000);
  };
  let restored = false;
  t.teardown(async () => {
    if (!restored) await restore();
  });

  const proc = startRuntime(runtimeEnv({ TANDEM_CONNECT_URL: connectUrl, TANDEM_STATUS_EVERY_MS: '500' }));
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  await waitFor('the runtime to run', () => proc.running, 120_000);

  // The cause: an offset whose GTID in a's application domain lies beyond anything a wrote.
  await client.stop(NAME);
  await waitFor(`${NAME} STOPPED`, async () => (await client.status(NAME)).state === 'STOPPED', 60_000);
  const broken = saved.map((o) => ({ partition: o.partition, offset: { ...o.offset, gtids: '1-11-999999999' } }));
  await client.alterOffsets(NAME, broken);
  await client.resume(NAME);
  await waitFor(`${NAME}'s task to fail`, async () => failureOf(await client.status(NAME)) !== undefined, 120_000);

  const status = spawnSync(resolve(ROOT, 'node_modules/.bin/tsx'), [resolve(ROOT, 'lib/stack/cli.ts'), 'status'], { cwd: ROOT, env: process.env, encoding: 'utf8' });
  t.equal(status.status, 3, 'make stack-status exits non-zero');
  t.match(status.stdout, /connector tandem-source-a RUNNING \(task 0 FAILED\): .*no longer available on the server/);
  t.match(status.stdout, /what to do: .*make stack-up/);

  await waitFor("the runtime's error line", () => proc.logs.some((l) => l.level === 'error' && /source connector tandem-source-a .*FAILED/.test(String(l.msg))), 60_000);
  const error = proc.logs.find((l) => l.level === 'error' && /source connector tandem-source-a/.test(String(l.msg)));
  t.match(error?.msg, /changes of database a do not reach Kafka until it runs again/);
  t.match(error?.hint, /curl -X POST '.*\/connectors\/tandem-source-a\/restart\?includeTasks=true&onlyFailed=true'/);
  t.notOk(proc.logs.some((l) => /restarted it|restarting it/.test(String(l.msg))), 'a cause that needs the operator is not restarted by tandem run');
  await waitFor('the status line to show it', () => proc.logs.some((l) => l.msg === 'status' && /connectors a=FAILED b=RUNNING/.test(String(l.status))), 30_000);
  t.pass('the status line shows a=FAILED');

  await restore();
  restored = true;
  await waitFor('the runtime to say it runs again', () => proc.logs.some((l) => /source connector tandem-source-a is RUNNING again/.test(String(l.msg))), 60_000);
  const crossed = await rowsCross(urlA, urlB, 120_000);
  t.same(crossed, { aToB: true, bToA: true }, 'rows cross both ways again');
});
