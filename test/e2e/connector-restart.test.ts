// A registry outage that meets a connector whose converter has not cached its schemas yet (its
// task just restarted) fails the task, and Kafka Connect restarts no failed task: `tandem run`
// does (TANDEM_CONNECTOR_RESTART=transient), with a growing pause while the registry stays away,
// and the row written meanwhile crosses once the registry is back. The CI's restarts test met
// this when a heartbeat (the first after Kafka's restart) found the registry restarting.
import t from 'tap';
import { ConnectClient, isRunning } from '../../lib/connect';
import { clientEnv, loadStackConfig, stackComponents } from '../../lib/stack';
import { createConnection } from 'mysql2/promise';
import { all, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

const stack = loadStackConfig();
const connectUrl = clientEnv(stack).TANDEM_CONNECT_URL;
const client = new ConnectClient(connectUrl, 30_000);
const NAME = 'tandem-source-a';

t.setTimeout(8 * 60_000);

t.test('a task failed because the registry did not answer is restarted by tandem run until it runs, and nothing is lost', async (t) => {
  const registry = stackComponents(stack).registry;
  let registryDown = false;
  t.teardown(async () => {
    if (registryDown) await registry.up();
  });
  const proc = startRuntime(runtimeEnv({ TANDEM_CONNECT_URL: connectUrl, TANDEM_STATUS_EVERY_MS: '500' }));
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  await waitFor('the runtime to run', () => proc.running, 120_000);

  t.comment(`registry ${await registry.down()}`);
  registryDown = true;
  // A restarted task starts with an empty schema cache: its next record needs the registry.
  await client.restart(NAME, false);
  await waitFor(`${NAME} RUNNING again after the restart`, async () => isRunning(await client.status(NAME)), 60_000);
  const id = 9_100_000_000 + (process.pid % 1000) * 1000;
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  t.teardown(async () => {
    await a.end();
    await b.end();
  });
  await a.query("INSERT INTO rooms (id, name, updated_at) VALUES (?, 'written while the registry is down', NOW(6))", [id]);
  const restarts = () => proc.logs.filter((l) => l.level === 'warn' && /source connector tandem-source-a failed: the schema registry did not answer; restarted it/.test(String(l.msg)));
  await waitFor('tandem run to restart the failed task', () => restarts().length >= 1, 90_000);
  t.comment(String(restarts()[0].msg));
  t.match(restarts()[0].cause, /RestClientException/, 'the cause is logged with the restart');
  t.equal(proc.logs.filter((l) => l.level === 'error' && /source connector tandem-source-a/.test(String(l.msg))).length, 0, 'an outage that ends by itself is a warning, not an error');

  // While the registry stays away, the task fails again at once; the next restart waits its pause.
  await waitFor('the second restart', () => restarts().length >= 2, 60_000);
  const [first, second] = restarts().map((l) => Date.parse(String(l.time)));
  t.ok(second - first >= 4500, `the second restart came ${second - first} ms after the first: a pause, not a loop`);
  t.match(restarts()[0].msg, /the next one no sooner than 5 s/);

  await registry.up();
  registryDown = false;
  await waitFor('the row on b', async () => (await all(b, 'SELECT id FROM rooms WHERE id = ?', [id])).length === 1, 180_000);
  await waitFor(`${NAME} RUNNING`, async () => isRunning(await client.status(NAME)), 60_000);
  t.pass('the row written while the registry was down crossed, and the connector runs');
  await waitFor('the runtime to say it runs again', () => proc.logs.some((l) => /source connector tandem-source-a is RUNNING again/.test(String(l.msg))), 30_000);
});
