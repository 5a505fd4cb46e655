// Prometheus metrics (prom-client), per direction (source node) and per table where it applies.
// Counters and histograms are fed by each finished batch (RuntimeMonitor) and by the sinks'
// flushes; gauges of what is true now (consumer lag, connectors, waits, readiness) are read from
// their sources when Prometheus scrapes. A registry of its own: several runtimes in one process
// (tests) do not share series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Check } from './health';
import type { Outage } from './outages';
import { reasonKind } from './reason-kind';
import { BATCH_PHASES, type BatchReport, type BatchTimeline, type RuntimeMonitor } from './runtime-monitor';

/** A source connector as the metrics show it. */
export interface ConnectorStatus {
  name: string;
  /** The database (topic prefix) it reads. */
  database: string;
  /** Connect's state (RUNNING, PAUSED, ...), FAILED when it or a task failed. */
  state: string;
  /** Restarts Tandem made of it after a transient failure, since Tandem started. */
  restarts: number;
}

/** Where the scrape-time gauges read from; each is optional (a test, or no Connect watched). */
export interface MetricsSources {
  partitionLag?: () => readonly { direction: string; topic: string; partition: number; lag: number }[];
  connectors?: () => readonly ConnectorStatus[];
  waits?: () => readonly Outage[];
  checks?: () => readonly Check[];
}

/** The table a Debezium topic carries: `a.chat.rooms` → `rooms`. */
export function tableOfTopic(topic: string): string {
  return topic.slice(topic.lastIndexOf('.') + 1);
}

const UNROUTED = '(unrouted)';

export class Metrics implements RuntimeMonitor {
  readonly registry = new Registry();
  private sources: MetricsSources = {};
  /** Last batch's ms behind the source, per direction (the status page reads it too). */
  private readonly behind = new Map<string, number>();

  private readonly consumed = this.counter('tandem_records_consumed_total', 'Records consumed from Kafka', ['direction', 'table']);
  private readonly applied = this.counter('tandem_records_applied_total', 'Rows written (inserted, updated or deleted) in the target database', ['direction', 'table']);
  private readonly refused = this.counter('tandem_sink_refused_total', "Rows the sink's last-writer-wins guard refused (older than the target's) or that changed nothing", ['direction', 'table']);
  private readonly echoes = this.counter('tandem_echoes_suppressed_total', "Tandem's own writes coming back, dropped by the origin filter", ['direction']);
  private readonly conflicts = this.counter('tandem_conflicts_resolved_total', 'Changes that lost a conflict (last-writer-wins in a batch, or a UNIQUE value at the sink)', ['direction', 'table', 'stage']);
  private readonly deadLetters = this.counter('tandem_dead_letters_total', 'Records sent to the dead-letter topic, by stage and kind of reason', ['direction', 'stage', 'reason']);
  private readonly nodeEvents = this.counter('tandem_node_events_total', "Every node's own counters (in, out, deadLettered and what its stage counts)", ['direction', 'node', 'counter']);
  private readonly phases = this.counter('tandem_batch_phase_seconds_total', "Batches' wall-clock time per phase (lanes overlap: a sum over batches, not elapsed time)", ['direction', 'phase']);
  private readonly consumeWait = this.counter('tandem_consume_wait_seconds_total', 'Time the consume loop waited for records from Kafka', []);
  private readonly heldBackS = this.counter('tandem_consume_held_back_seconds_total', 'Time the consume loop did not consume because the records in flight had reached their bound (the sinks were behind)', []);
  private readonly deadlocks = this.counter('tandem_sink_deadlocks_total', 'Flushes that lost a deadlock against another flush and went again', ['sink']);
  private readonly retries = this.counter('tandem_retries_total', 'Failed attempts to reach a part that is down (each is retried)', ['part']);
  private readonly batchRecords = this.histogram('tandem_batch_records', 'Records per batch', 'direction', [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);
  private readonly batchSeconds = this.histogram('tandem_batch_seconds', "A batch's stages and sink writes, until every row is durable", 'direction', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  private readonly flushSeconds = this.histogram('tandem_sink_flush_seconds', "One sink flush: the target database's transaction, from BEGIN to COMMIT", 'sink', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  private readonly flushRows = this.histogram('tandem_sink_flush_rows', 'Rows per sink flush', 'sink', [1, 10, 50, 100, 250, 500, 1000, 2500, 5000]);
  private readonly endToEnd = this.histogram('tandem_end_to_end_lag_seconds', "From a change's commit at the source (Debezium source.ts_ms) to its batch finished here, per event", 'direction', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);
  private readonly behindSource = new Gauge({
    name: 'tandem_behind_source_milliseconds',
    help: "Like Debezium's MilliSecondsBehindSource: the last finished batch's newest change, ms after its commit at the source",
    labelNames: ['direction', 'table'],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Process and Node.js figures (CPU, memory, event loop lag) under their standard names.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    new Gauge({
      name: 'tandem_consumer_lag_records',
      help: 'Records the broker holds beyond the committed position, per assigned partition',
      labelNames: ['direction', 'topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of sources().partitionLag?.() ?? []) this.set({ direction: p.direction, topic: p.topic, partition: String(p.partition) }, p.lag);
      },
    });
    new Gauge({
      name: 'tandem_connector_state',
      help: "A watched source connector's state: 1 on the series of its current state",
      labelNames: ['connector', 'database', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of sources().connectors?.() ?? []) this.set({ connector: c.name, database: c.database, state: c.state }, 1);
      },
    });
    new Counter({
      name: 'tandem_connector_restarts_total',
      help: 'Restarts Tandem made of a watched source connector that failed for a transient cause (TANDEM_CONNECTOR_RESTART)',
      labelNames: ['connector', 'database'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of sources().connectors?.() ?? []) this.inc({ connector: c.name, database: c.database }, c.restarts);
      },
    });
    new Gauge({
      name: 'tandem_waiting_seconds',
      help: 'How long Tandem has been waiting for a part that is down (absent when none is)',
      labelNames: ['part'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const w of sources().waits?.() ?? []) this.set({ part: w.what }, (now - w.sinceMs) / 1000);
      },
    });
    new Gauge({
      name: 'tandem_ready',
      help: "Each readiness check (as /readyz): 1 ok, 0 not",
      labelNames: ['check'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of sources().checks?.() ?? []) this.set({ check: c.name }, c.ok ? 1 : 0);
      },
    });
  }

  /** Where the scrape-time gauges read (set once the runtime and its watches exist). */
  watch(sources: MetricsSources): void {
    this.sources = sources;
  }

  batch(r: BatchReport): void {
    const direction = r.direction ?? UNROUTED;
    let records = 0;
    for (const [topic, n] of Object.entries(r.recordsByTopic)) {
      this.consumed.inc({ direction, table: tableOfTopic(topic) }, n);
      records += n;
    }
    this.batchRecords.observe({ direction }, records);
    for (const [table, c] of Object.entries(r.tables)) {
      if (c.applied > 0) this.applied.inc({ direction, table }, c.applied);
      if (c.skipped > 0) this.refused.inc({ direction, table }, c.skipped);
    }
    let echoes = 0;
    for (const [node, counters] of Object.entries(r.nodes)) {
      for (const [counter, n] of Object.entries(counters)) {
        if (n > 0) this.nodeEvents.inc({ direction, node, counter }, n);
        if (counter === 'echoesSuppressed') echoes += n;
      }
    }
    if (echoes > 0 || r.direction !== null) this.echoes.inc({ direction }, echoes);
    for (const a of r.audits) this.conflicts.inc({ direction, table: a.table, stage: a.stage });
    for (const l of r.deadLetters) this.deadLetters.inc({ direction, stage: l.stage, reason: reasonKind(l.reason) });
    if (r.direction === null) return;
    this.batchSeconds.observe({ direction }, r.applyMs / 1000);
    if (r.timeline) for (const phase of BATCH_PHASES) this.phases.inc({ direction, phase: phaseLabel(phase) }, r.timeline[phase] / 1000);
    this.lagBehindSource(direction, r);
  }

  polled(ms: number): void {
    this.consumeWait.inc(ms / 1000);
  }

  heldBack(ms: number): void {
    this.heldBackS.inc(ms / 1000);
  }

  deadlock(sink: string): void {
    this.deadlocks.inc({ sink });
  }

  /** One sink flush (mysqlSink's onFlush). */
  flush(sink: string, rows: number, ms: number): void {
    this.flushSeconds.observe({ sink }, ms / 1000);
    this.flushRows.observe({ sink }, rows);
  }

  /** One failed attempt to reach `part` (lib/observe/outages.ts). */
  retry(part: string): void {
    this.retries.inc({ part });
  }

  /** The last finished batch's ms behind the source, per direction. */
  behindSourceMs(): Record<string, number> {
    return Object.fromEntries(this.behind);
  }

  /** The text Prometheus scrapes, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private lagBehindSource(direction: string, r: BatchReport): void {
    const newest = new Map<string, number>();
    const endToEnd = this.endToEnd.labels({ direction });
    for (const e of r.events) {
      const ts = e.source.tsMs;
      if (!(ts > 0)) continue;
      endToEnd.observe(Math.max(0, r.finishedAtMs - ts) / 1000);
      if (ts > (newest.get(e.source.table) ?? 0)) newest.set(e.source.table, ts);
    }
    let overall = 0;
    for (const [table, ts] of newest) {
      this.behindSource.set({ direction, table }, Math.max(0, r.finishedAtMs - ts));
      overall = Math.max(overall, ts);
    }
    if (overall > 0) this.behind.set(direction, Math.max(0, r.finishedAtMs - overall));
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, label: string, buckets: number[]): Histogram<string> {
    return new Histogram({ name, help, labelNames: [label], buckets, registers: [this.registry] });
  }
}

/** `laneWaitMs` → `lane_wait`: the metric label of a batch phase. */
export function phaseLabel(phase: keyof BatchTimeline): string {
  return phase.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
