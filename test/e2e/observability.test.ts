// `tandem run bidirectional` with TANDEM_HTTP_PORT against the local stack: the metrics move as
// rows flow (consumed, applied, lag behind the source), /readyz turns unready, naming the database,
// when database a stops, and ready again once it is back; the status page and /healthz answer.
import t from 'tap';
import { createConnection } from 'mysql2/promise';
import { loadStackConfig, stackComponents } from '../../lib/stack';
import { one, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, urlA, urlB, waitFor } from './fixtures/runtime';

t.setTimeout(10 * 60_000);

const ID = 9_100_000 + Math.floor(Math.random() * 100_000) * 10;

/** One series' value in the Prometheus text (0 when it is not there yet). */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

interface Ready {
  ready: boolean;
  notReady: { check: string; detail: string }[];
}

t.test('metrics move with the rows; readiness follows a database that stops and comes back', async (t) => {
  const proc = startRuntime(runtimeEnv({ TANDEM_HTTP_PORT: '0', TANDEM_STATUS_EVERY_MS: '500' }));
  showLogsOnFailure(t, proc);
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  // Port 0: the runtime says which port it got.
  let base = '';
  await waitFor('the HTTP server', () => {
    const line = proc.logs.find((l) => typeof l.url === 'string' && typeof l.httpPort === 'number');
    base = typeof line?.url === 'string' ? line.url : '';
    return base !== '';
  });
  t.equal((await fetch(`${base}healthz`)).status, 200, 'alive while starting');
  await waitFor('the runtime to run', () => proc.running, 180_000);
  const readiness = async (): Promise<{ status: number; body: Ready }> => {
    const res = await fetch(`${base}readyz`);
    return { status: res.status, body: (await res.json()) as Ready };
  };
  await waitFor('ready (consumer, both databases, both connectors RUNNING)', async () => (await readiness()).status === 200, 120_000);

  const scrape = async () => (await fetch(`${base}metrics`)).text();
  const applied = 'tandem_records_applied_total{direction="a-to-b.source",table="rooms"}';
  const consumed = 'tandem_records_consumed_total{direction="a-to-b.source",table="rooms"}';
  const before = await scrape();
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  t.teardown(async () => {
    await a.query('DELETE FROM rooms WHERE id BETWEEN ? AND ?', [ID, ID + 19]).catch(() => undefined);
    await a.end().catch(() => undefined);
    await b.end().catch(() => undefined);
  });
  for (let i = 0; i < 20; i++) await a.query('INSERT INTO rooms (id, name, updated_at) VALUES (?, ?, NOW(6))', [ID + i, `metrics ${i}`]);
  await waitFor('the rooms on b', async () => Number((await one(b, 'SELECT COUNT(*) AS n FROM rooms WHERE id BETWEEN ? AND ?', [ID, ID + 19]))?.n) === 20);
  await waitFor('the applied counter to count them', async () => metric(await scrape(), applied) >= metric(before, applied) + 20, 30_000);
  const after = await scrape();
  t.ok(metric(after, consumed) >= metric(before, consumed) + 20, 'records consumed from a, per table');
  t.ok(metric(after, applied) >= metric(before, applied) + 20, 'rows applied on b, per table');
  t.ok(metric(after, 'tandem_end_to_end_lag_seconds_count{direction="a-to-b.source"}') > metric(before, 'tandem_end_to_end_lag_seconds_count{direction="a-to-b.source"}'), 'lag behind the source observed');
  t.match(after, /tandem_behind_source_milliseconds\{direction="a-to-b.source",table="rooms"\} \d+/);
  t.match(after, /tandem_connector_state\{connector="[^"]+",database="a",state="RUNNING"\} 1/);
  t.match(after, /tandem_consumer_lag_records\{direction="a-to-b.source",topic="a\.chat\.rooms",partition="0"\} \d+/);
  t.ok(metric(after, 'tandem_node_events_total{direction="a-to-b.source",node="a-to-b.origin-filter",counter="in"}') >= 20, "every node's own counters, the origin filter's included");
  const page = await fetch(base);
  t.equal(page.status, 200);
  t.match(await page.text(), /<svg[^>]*class="topology"/);

  // Database a stops: /readyz says so within seconds, naming it; ready again once it is back.
  const dbA = stackComponents(loadStackConfig()).dbA;
  t.comment(`db-a ${await dbA.down()}`);
  let restarted = false;
  t.teardown(async () => {
    if (!restarted) await dbA.up();
  });
  await waitFor('/readyz to turn unready', async () => (await readiness()).status === 503, 30_000);
  const down = await readiness();
  t.ok(
    down.body.notReady.some((n) => n.check === 'database a' && /does not answer/.test(n.detail)),
    `the body names database a: ${JSON.stringify(down.body.notReady)}`,
  );
  t.equal((await fetch(`${base}healthz`)).status, 200, 'still alive: Tandem waits for the database');
  await dbA.up();
  restarted = true;
  await waitFor('/readyz to be ready again', async () => (await readiness()).status === 200, 180_000);
  t.pass('ready again once database a is back (and its connector RUNNING)');
  t.equal(await stopRuntime(proc, 'SIGTERM'), 0, 'stops cleanly');
});
