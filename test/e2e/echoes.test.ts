// Tandem's own writes, captured by Debezium on the side it wrote to (docs/loop-prevention.md):
// the local stack's connectors drop them at the source (Debezium's Filter SMT on Tandem's server
// id), so they reach neither Kafka nor Tandem, while the connector's offset still moves past them;
// a connector without that filter (a user's own) sends them, and Tandem's origin filter drops them.
// Either way a row crosses once and comes back to nobody.
import t from 'tap';
import { createConnection } from 'mysql2/promise';
import { loadStackConfig, registerSourceConnector, sourceConnectorConfig, sourceConnectorName } from '../../lib/stack';
import { ConnectClient } from '../../lib/connect';
import { connectorHasRead, tandemGtid } from './fixtures/connector-position';
import { one, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor, type RuntimeProcess } from './fixtures/runtime';

t.setTimeout(10 * 60_000);

const stack = loadStackConfig();
const ID = 9_300_000 + Math.floor(Math.random() * 100_000) * 10;

/** The last status line's counter of echoes the origin filter dropped. */
const echoes = (proc: RuntimeProcess) => Number([...proc.logs].reverse().find((l) => l.msg === 'status')?.echoesSuppressed ?? 0);
const statusLines = (proc: RuntimeProcess) => proc.logs.filter((l) => l.msg === 'status').length;

t.test("Tandem's writes are dropped by the stack's connectors; without that filter, by Tandem's origin filter", async (t) => {
  const proc = startRuntime(runtimeEnv({ TANDEM_STATUS_EVERY_MS: '300' }));
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  const connect = new ConnectClient(`http://${stack.host}:${stack.ports.connect}`, 30_000);
  t.teardown(async () => {
    // b's connector as the stack configures it, whatever happened above.
    await registerSourceConnector(stack, 'b', '/dev/null').catch(() => undefined);
    await a.query('DELETE FROM rooms WHERE id BETWEEN ? AND ?', [ID, ID + 9]).catch(() => undefined);
    await a.end().catch(() => undefined);
    await b.end().catch(() => undefined);
  });
  await waitFor('the runtime to run', () => proc.running, 180_000);
  // A new group reads the topics from their beginning, echoes of earlier runs included: count from
  // the moment it has caught up.
  // (Its lag can read 0 before the first fetch knows the end offsets: the count must also rest.)
  let seen = { echoes: -1, at: Date.now() };
  await waitFor('the runtime to catch up', () => {
    const last = [...proc.logs].reverse().find((l) => l.msg === 'status');
    const lag = (last?.lag ?? {}) as Record<string, number>;
    if (echoes(proc) !== seen.echoes) seen = { echoes: echoes(proc), at: Date.now() };
    return Object.keys(lag).length === 2 && Object.values(lag).every((n) => n === 0) && Date.now() - seen.at > 3000;
  }, 300_000);
  /** Rows written on a after the first one. */
  let written = 0;

  const crossed = async (id: number) => {
    await a.query('INSERT INTO rooms (id, name, updated_at) VALUES (?, ?, NOW(6))', [id, `echo ${id}`]);
    await waitFor(`room ${id} on b`, async () => (await one(b, 'SELECT id FROM rooms WHERE id = ?', [id])) !== undefined, 60_000);
    const written = await tandemGtid(urlB);
    t.ok(written, `Tandem's write on b has a GTID of its own domain (${written})`);
    await waitFor(`b's connector to read Tandem's write ${written}`, () => connectorHasRead(stack, 'b', written!), 60_000);
  };

  await t.test("the stack's connector reads Tandem's write and sends nothing", async (t) => {
    const before = echoes(proc);
    await crossed(ID);
    // The connector has read the write; had it sent it, Tandem would count it within a status line or two.
    const lines = statusLines(proc);
    await waitFor('two more status lines', () => statusLines(proc) >= lines + 2, 10_000);
    t.equal(echoes(proc), before, 'no echo reached Tandem');
    t.equal(sourceConnectorConfig(stack, 'b').transforms, 'dropTandemEchoes');
  });

  await t.test("a connector without the filter sends it, and Tandem's origin filter drops it", async (t) => {
    const own = sourceConnectorConfig(stack, 'b');
    for (const k of Object.keys(own)) if (k.startsWith('transforms')) delete own[k];
    await connect.put(sourceConnectorName('b'), own);
    await waitFor("b's connector RUNNING without its filter", async () => {
      const st = await connect.status(sourceConnectorName('b'));
      return st.state === 'RUNNING' && st.tasks.length > 0 && st.tasks.every((x) => x.state === 'RUNNING');
    }, 60_000);
    // The task restarts with the new config in the background: a row written just before that may
    // still meet the old filter. The next rows, a few seconds apart, meet the new one.
    const before = echoes(proc);
    for (let i = 1; i <= 5 && echoes(proc) === before; i++) {
      await crossed(ID + i);
      written = i;
      await waitFor("Tandem's origin filter to count the echo", () => echoes(proc) > before, 5_000).catch(() => undefined);
    }
    t.ok(echoes(proc) > before, `echoes dropped by Tandem: ${echoes(proc) - before}, after ${written} row(s)`);
  });

  // Neither way came back to a as a second write: each row is there once, as a wrote it.
  const rows = await a.query('SELECT id, name FROM rooms WHERE id BETWEEN ? AND ? ORDER BY id', [ID, ID + 9]);
  t.same(JSON.parse(JSON.stringify(rows[0])), Array.from({ length: written + 1 }, (_, i) => ({ id: ID + i, name: `echo ${ID + i}` })));
});
