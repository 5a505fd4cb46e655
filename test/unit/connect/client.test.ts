import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { ConnectClient, describeState, failureOf, isRunning, splitCredentials, stateFrom, type ConnectorState } from '../../../lib/connect';
import { createLogger } from '../../../lib/observe';
import { ConnectorWatch, RestartBackoff } from '../../../lib/runtime/connector-watch';

const trace = [
  'org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer.',
  '\tat io.debezium.pipeline.ErrorHandler.setProducerThrowable(ErrorHandler.java:67)',
  'Caused by: io.debezium.DebeziumException: The connector is trying to read change stream starting at X, but this is no longer available on the server.',
  '\tat io.debezium.connector.common.BaseSourceTask.validateSchemaHistory(BaseSourceTask.java:160)',
].join('\n');

t.test('Connect status bodies: RUNNING needs every task running; a FAILED task names its root cause', async (t) => {
  const running = stateFrom('tandem-source-a', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] }, { 'topic.prefix': 'a' });
  t.ok(isRunning(running));
  t.equal(running.topicPrefix, 'a');
  t.equal(running.databaseServerId, undefined);
  t.equal(stateFrom('src', {}, { 'topic.prefix': 'a', 'database.server.id': '5401' }).databaseServerId, '5401', 'what tandem doctor compares with the servers\' ids');
  t.equal(failureOf(running), undefined);
  const failed = stateFrom('tandem-source-b', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace }] });
  t.notOk(isRunning(failed), 'a connector RUNNING with a FAILED task is not running');
  t.equal(failureOf(failed), 'io.debezium.DebeziumException: The connector is trying to read change stream starting at X, but this is no longer available on the server.');
  t.equal(describeState(failed), `tandem-source-b RUNNING (task 0 FAILED): ${failureOf(failed)}`);
  t.notOk(isRunning(stateFrom('x', { connector: { state: 'RUNNING' }, tasks: [] })), 'no task is not running');
  const long = stateFrom('x', { connector: { state: 'FAILED', trace: `E: ${'x'.repeat(2000)} end` } });
  t.ok((failureOf(long) ?? '').length < 400, 'long messages are shortened');
  t.match(failureOf(long), /end$/);
});

class FakeConnect {
  states: ConnectorState[] = [];
  down = false;
  readonly restarted: string[] = [];
  readonly baseUrl = 'http://connect:8083';
  async connectors(): Promise<ConnectorState[]> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return this.states;
  }
  async restart(name: string): Promise<void> {
    this.restarted.push(name);
  }
}

t.test('the watch says once when a connector fails, with what to do, and once when it runs again', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const client = new FakeConnect();
  const watch = new ConnectorWatch({ client: client as unknown as ConnectClient, prefixes: ['a', 'b'], log: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) });
  const ok = (name: string, prefix: string) => stateFrom(name, { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] }, { 'topic.prefix': prefix });
  const other = stateFrom('unrelated', { connector: { state: 'FAILED', trace: 'boom' } }, { 'topic.prefix': 'z' });
  client.states = [ok('src-a', 'a'), ok('src-b', 'b'), other];
  await watch.check();
  t.equal(watch.summary(), 'connectors a=RUNNING b=RUNNING');
  t.same(lines, [], 'nothing to say while both run; connectors of other databases are not watched');
  client.states = [ok('src-a', 'a'), stateFrom('src-b', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace }] }, { 'topic.prefix': 'b' })];
  await watch.check();
  await watch.check();
  t.equal(watch.summary(), 'connectors a=RUNNING b=FAILED');
  const errors = lines.filter((l) => l.level === 'error');
  t.equal(errors.length, 1, 'said once');
  t.match(errors[0].msg, /source connector src-b RUNNING \(task 0 FAILED\): .*no longer available.*changes of database b do not reach Kafka/);
  t.match(errors[0].hint, /curl -X POST 'http:\/\/connect:8083\/connectors\/src-b\/restart\?includeTasks=true&onlyFailed=true'/);
  client.states = [ok('src-a', 'a'), ok('src-b', 'b')];
  await watch.check();
  t.match(lines[lines.length - 1].msg, /source connector src-b is RUNNING again/);
  client.down = true;
  await watch.check();
  await watch.check();
  t.equal(watch.summary(), 'connectors ?');
  t.equal(lines.filter((l) => /cannot read the source connectors/.test(String(l.msg))).length, 1, 'Connect unreachable is said once');
  client.down = false;
  client.states = [ok('src-a', 'a')];
  await watch.check();
  t.match(lines.map((l) => l.msg).join('\n'), /answers again[\s\S]*no connector of Kafka Connect at http:\/\/connect:8083 writes the topics of database b/);
});

const registryDownTrace = [
  'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler',
  'Caused by: io.apicurio.registry.rest.client.exception.RestClientException',
  '\tat io.apicurio.registry.rest.client.impl.ErrorHandler.parseError(ErrorHandler.java:95)',
].join('\n');

t.test('a connector failed because the registry did not answer is restarted, with a pause between restarts; any other failure is left to the operator', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const client = new FakeConnect();
  const watch = new ConnectorWatch({ client: client as unknown as ConnectClient, prefixes: ['a', 'b'], log: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) });
  const ok = (name: string, prefix: string) => stateFrom(name, { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] }, { 'topic.prefix': prefix });
  const failedWith = (name: string, prefix: string, trace: string) => stateFrom(name, { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace }] }, { 'topic.prefix': prefix });
  client.states = [failedWith('src-a', 'a', registryDownTrace), failedWith('src-b', 'b', trace)];
  await watch.check();
  t.same(client.restarted, ['src-a'], 'the registry failure is restarted at once; the purged binlog is not');
  const warning = lines.find((l) => l.level === 'warn');
  t.match(warning?.msg, /source connector src-a failed: the schema registry did not answer; restarted it \(restart 1; the next one no sooner than 5 s\)/);
  t.match(lines.filter((l) => l.level === 'error').map((l) => l.msg), [/source connector src-b .*no longer available/], 'the other is said as an error');
  await watch.check();
  t.same(client.restarted, ['src-a'], 'failed again at once: not restarted before the pause');
  t.same(watch.byDatabase().map((c) => [c.database, c.state, c.restarts]), [['a', 'FAILED', 1], ['b', 'FAILED', 0]]);
  client.states = [ok('src-a', 'a'), failedWith('src-b', 'b', trace)];
  await watch.check();
  t.match(lines[lines.length - 1].msg, /source connector src-a is RUNNING again/);

  const off = new FakeConnect();
  const manual = new ConnectorWatch({ client: off as unknown as ConnectClient, prefixes: ['a'], restartTransient: false, log: createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) });
  off.states = [failedWith('src-a', 'a', registryDownTrace)];
  await manual.check();
  t.same(off.restarted, [], 'TANDEM_CONNECTOR_RESTART=off: never restarted');
  t.match(lines[lines.length - 1], { level: 'error', msg: /source connector src-a .*RestClientException/ });
});

t.test('restart pauses: none at first, then doubling from 5 s to a minute; a minute of running starts over', async (t) => {
  const b = new RestartBackoff();
  t.ok(b.due(0), 'the first restart at once');
  const at: number[] = [];
  let now = 0;
  for (let i = 0; i < 7; i++) {
    while (!b.due(now)) now += 1000;
    at.push(now / 1000);
    b.restarted(now);
  }
  t.same(at, [0, 5, 15, 35, 75, 135, 195]);
  b.running(now + 1000);
  b.running(now + 30_000);
  t.notOk(b.due(now + 30_000), 'running half a minute: still pausing');
  b.running(now + 61_000);
  t.ok(b.due(now + 61_000), 'running a minute: at once again');
  b.restarted(now + 61_000);
  t.equal(b.pauseMs(), 5000);
});

t.test('credentials in TANDEM_CONNECT_URL go as basic auth, never into a URL fetch would echo or a message', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const expected = `Basic ${Buffer.from(`c:${SECRET}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expected) return res.writeHead(401).end('unauthorized');
    if (req.url?.startsWith('/connectors?')) return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(500).end('boom');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const client = new ConnectClient(`http://c:${SECRET}@127.0.0.1:${port}/`, 2000);
  t.same(await client.connectors(), [], 'authenticated');
  t.equal(client.baseUrl, `http://c:***@127.0.0.1:${port}`, 'messages name it masked');
  const err = await client.status('x').then(() => undefined, (e: unknown) => e as Error);
  t.match(err?.message, `GET http://c:***@127.0.0.1:${port}/connectors/x/status: HTTP 500 boom`);
  t.notMatch(err?.message, SECRET);
  t.same(splitCredentials('http://connect:8083'), { endpoint: 'http://connect:8083' });
  t.same(splitCredentials(`http://c%40x:${SECRET}@h:1/base`), { endpoint: 'http://h:1/base', authorization: `Basic ${Buffer.from(`c@x:${SECRET}`).toString('base64')}` });
});
