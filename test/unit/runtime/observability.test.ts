// The HTTP endpoints of a runtime built on in-memory fakes: metrics move with the batches (per
// direction, per table, every node counter), /readyz names what is not ready, /healthz follows
// the consume loop, and the status page and its data are served from Tandem's own files.
import t from 'tap';
import { Counters, Outages, type ProbeStatus } from '../../../lib/observe';
import type { ChangeEvent } from '../../../lib/model';
import { Observability } from '../../../lib/runtime/observability';
import type { PipelineOutcome } from '../../../lib/runtime/ports';
import { Runtime } from '../../../lib/runtime/runtime';
import { FakeConsumer, FakeDeadLetters, FakePipeline, fakeDecoder, quietLogger, record } from './fixtures/fakes';

const sources = [
  { name: 'a-to-b.source', topics: [/^a\.chat\..*/] },
  { name: 'b-to-a.source', topics: [/^b\.chat\..*/] },
];

/** The fake pipeline, plus what the DSL executor reports: node counters and per-table sink counts. */
class CountingPipeline extends FakePipeline {
  override async runBatch(source: string, events: ChangeEvent[]): Promise<PipelineOutcome> {
    const out = await super.runBatch(source, events);
    const prefix = source.split('.')[0];
    return {
      ...out,
      nodes: { [`${prefix}.origin-filter`]: { in: events.length, out: events.length, deadLettered: 0, echoesSuppressed: 1 }, [`${prefix}.carry-deletes`]: { in: 1, out: 1, deadLettered: 0, purgesDropped: 2 } },
      tables: { t: { applied: events.length - out.deadLetters.length, skipped: 1 } },
    };
  }
}

/** Events committed at the source 50 ms before they are decoded. */
const decoder = {
  async decode(r: Parameters<typeof fakeDecoder.decode>[0]) {
    const e = await fakeDecoder.decode(r);
    return e && { ...e, source: { ...e.source, tsMs: Date.now() - 50 } };
  },
};

const picture = {
  description: {
    name: 'bidirectional',
    subtopologies: sources.map((s, id) => ({ id, nodes: [{ type: 'source' as const, name: s.name, detail: 'topics', predecessors: [], successors: [] }] })),
  },
  sourceDatabases: { 'a-to-b.source': 'a', 'b-to-a.source': 'b' },
  sinkDatabases: {},
};

function probe(id: string, state: { ok: boolean }) {
  return { id, status: (): ProbeStatus => ({ ok: state.ok, detail: state.ok ? 'answers' : 'does not answer: connect ECONNREFUSED', sinceMs: 1 }) };
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** A value of one series in the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('metrics, health, readiness and the status page of a running runtime', async (t) => {
  const consumer = new FakeConsumer();
  for (let i = 0; i < 4; i++) consumer.add(record('a.chat.t', 0, i, i === 2 ? 'LOST' : `a${i}`));
  consumer.add(record('a.chat.t', 0, 4, 'NOROUTE'));
  consumer.add(record('b.chat.t', 0, 0, 'b0'));
  const counters = new Counters();
  const outages = new Outages({ log: quietLogger() });
  const obs = new Observability({ counters, outages, picture, processMetrics: false });
  const runtime = new Runtime({ consumer, deadLetters: new FakeDeadLetters(), pipeline: new CountingPipeline(sources), decoder, logger: quietLogger(), counters, batchRows: 10, outages, monitor: obs.monitor });
  const dbB = { ok: true };
  const server = await obs.serve({ runtime: () => runtime, databases: [probe('a', { ok: true }), probe('b', dbB)], host: '127.0.0.1', port: 0, log: quietLogger() });
  t.teardown(() => server.close());

  const before = JSON.parse((await get(`${server.url}readyz`)).body) as { ready: boolean; notReady: { check: string; detail: string }[] };
  t.equal(before.ready, false, 'not ready before the loop runs');
  t.same(before.notReady.map((n) => n.check), ['consumer']);

  const running = runtime.run();
  while (counters.snapshot().recordsOut < 5) await new Promise((r) => setTimeout(r, 5));
  outages.failed('mysql-b', 'connect ECONNREFUSED');
  outages.recovered('mysql-b');
  const ready = await get(`${server.url}readyz`);
  t.equal(ready.status, 200, 'ready while the loop runs and both databases answer');
  dbB.ok = false;
  const notReady = await get(`${server.url}readyz`);
  t.equal(notReady.status, 503);
  t.same((JSON.parse(notReady.body) as { notReady: unknown }).notReady, [{ check: 'database b', detail: 'does not answer: connect ECONNREFUSED' }], 'the body names what is not ready and why');
  t.equal((await get(`${server.url}healthz`)).status, 200, 'alive');
  runtime.stop();
  await running;

  const m = await get(`${server.url}metrics`);
  t.match(m.type, /text\/plain/);
  t.equal(sample(m.body, 'tandem_records_consumed_total{direction="a-to-b.source",table="t"}'), 5);
  t.equal(sample(m.body, 'tandem_records_consumed_total{direction="b-to-a.source",table="t"}'), 1);
  t.equal(sample(m.body, 'tandem_records_applied_total{direction="a-to-b.source",table="t"}'), 4);
  t.ok((sample(m.body, 'tandem_sink_refused_total{direction="a-to-b.source",table="t"}') ?? 0) >= 1);
  t.ok((sample(m.body, 'tandem_echoes_suppressed_total{direction="a-to-b.source"}') ?? 0) >= 1);
  t.equal(sample(m.body, 'tandem_conflicts_resolved_total{direction="a-to-b.source",table="t",stage="a-to-b.source.lww"}'), 1);
  t.equal(sample(m.body, 'tandem_dead_letters_total{direction="a-to-b.source",stage="route",reason="no-route"}'), 1);
  t.ok((sample(m.body, 'tandem_node_events_total{direction="a-to-b.source",node="a-to-b.carry-deletes",counter="purgesDropped"}') ?? 0) >= 2, 'a counter no fixed list names');
  t.ok((sample(m.body, 'tandem_batch_records_count{direction="a-to-b.source"}') ?? 0) >= 1, 'batch size histogram');
  t.ok((sample(m.body, 'tandem_batch_seconds_count{direction="b-to-a.source"}') ?? 0) >= 1, 'batch time histogram');
  t.equal(sample(m.body, 'tandem_retries_total{part="mysql-b"}'), 1, 'each failed attempt to reach a part');
  t.equal(sample(m.body, 'tandem_ready{check="database b"}'), 0);
  t.ok((sample(m.body, 'tandem_end_to_end_lag_seconds_count{direction="a-to-b.source"}') ?? 0) >= 5, 'lag behind the source, per event');
  t.ok((sample(m.body, 'tandem_behind_source_milliseconds{direction="a-to-b.source",table="t"}') ?? 0) >= 50, 'ms behind the source, from source.tsMs');
  t.equal(sample(m.body, 'tandem_consumer_lag_records{direction="a-to-b.source",topic="a.chat.t",partition="0"}'), 0, 'all committed');

  t.equal((await get(`${server.url}healthz`)).status, 503, 'the loop stopped: not alive');
  const status = JSON.parse((await get(`${server.url}status.json`)).body) as { directions: { name: string; recordsIn: number; recordsOut: number; behindSourceMs: number }[]; conflicts: { table: string }[]; deadLetters: { stage: string; reasonKind: string }[] };
  t.same(status.directions.map((d) => [d.name, d.recordsIn, d.recordsOut]), [['a-to-b.source', 5, 4], ['b-to-a.source', 1, 1]]);
  t.ok(status.directions.every((d) => d.behindSourceMs >= 50), 'each direction: ms behind the source');
  t.same(status.conflicts.map((c) => c.table), ['t']);
  t.same(status.deadLetters.map((d) => [d.stage, d.reasonKind]), [['route', 'no-route']]);
  const page = await get(server.url);
  t.match(page.type, /text\/html/);
  t.match(page.body, /<svg[^>]*class="topology"/);
  t.match(page.body, /data-part="database:a"/);
  for (const asset of ['uPlot.iife.min.js', 'uPlot.min.css', 'status-page.js', 'status-page.css']) t.equal((await get(`${server.url}assets/${asset}`)).status, 200, asset);
  t.equal((await get(`${server.url}nothing`)).status, 404);
});
