// Wires what a running topology exposes over HTTP: metrics (fed by every batch, every sink flush
// and every retry), /healthz and /readyz (the consume loop, database probes, the connector watch)
// and the status page (the topology picture, live figures, the last conflicts and dead letters).
// `tandem run` and the browser test build it the same way; only the parts given differ.
import {
  Counters,
  Metrics,
  allMonitors,
  liveness,
  readiness,
  readinessChecks,
  startHttpServer,
  statusPageHtml,
  type DatabaseStatusSource,
  type Logger,
  type Outages,
  type RunningHttpServer,
  type RuntimeMonitor,
  type TopologyPicture,
} from '../observe';
import type { ConnectorWatch } from './connector-watch';
import type { SinkObserver } from './mysql-topology';
import { RecentEvents } from './recent-events';
import type { Runtime } from './runtime';

export interface ObservabilityOptions {
  counters: Counters;
  outages: Outages;
  picture: TopologyPicture;
  /** Process metrics (CPU, memory, event loop); off in tests that make many. */
  processMetrics?: boolean;
}

export interface ServeParts {
  /** The runtime, once it exists (the server starts before it). */
  runtime: () => Runtime | undefined;
  /** What Tandem is doing while the runtime does not exist yet. */
  phase?: () => string;
  databases: readonly DatabaseStatusSource[];
  connectors?: ConnectorWatch;
  host: string;
  port: number;
  log: Logger;
}

/** The runtime as the endpoints read it, with what holds while it does not exist yet. */
class RuntimeView {
  constructor(
    private readonly runtime: () => Runtime | undefined,
    private readonly phase: () => string,
  ) {}

  consumerState(): { ok: boolean; detail: string } {
    return this.runtime()?.consumerState() ?? { ok: false, detail: `starting: ${this.phase()}` };
  }

  partitionLag() {
    return this.runtime()?.partitionLag() ?? [];
  }

  loopState() {
    return this.runtime()?.loopState() ?? { running: false, lastTurnAtMs: 0 };
  }

  lag(): Record<string, number> {
    return this.runtime()?.lag() ?? {};
  }
}

/** What the runtime reports into (create it before the Runtime), then `serve` once it exists. */
export class Observability {
  readonly metrics: Metrics;
  readonly recent = new RecentEvents();
  /** Give this to the Runtime: metrics and the recent events hear every batch. */
  readonly monitor: RuntimeMonitor;

  constructor(private readonly o: ObservabilityOptions) {
    this.metrics = new Metrics({ processMetrics: o.processMetrics });
    this.monitor = allMonitors(this.metrics, this.recent);
    o.outages.listen({ failed: (what) => this.metrics.retry(what) });
  }

  /** Give this to the MySQL sinks: their flushes and deadlocks go to the metrics. */
  readonly sinks: SinkObserver = {
    flushed: (sink, rows, ms) => this.metrics.flush(sink, rows, ms),
    deadlock: (sink) => this.metrics.deadlock(sink),
  };

  /** Starts the HTTP server on `port` (0: any free one); it answers before the runtime exists. */
  async serve(parts: ServeParts): Promise<RunningHttpServer> {
    const { connectors } = parts;
    const view = new RuntimeView(parts.runtime, parts.phase ?? (() => 'starting'));
    const checks = () =>
      readinessChecks({
        consumer: () => view.consumerState(),
        databases: parts.databases,
        ...(connectors ? { connectors: () => connectors.readiness() } : {}),
      });
    this.metrics.watch({
      partitionLag: () => view.partitionLag(),
      connectors: () => (connectors?.byDatabase() ?? []).filter((c) => c.connector !== undefined).map((c) => ({ name: c.connector as string, database: c.database, state: c.state, restarts: c.restarts })),
      waits: () => this.o.outages.current(),
      checks,
    });
    const page = statusPageHtml(this.o.picture);
    return startHttpServer({
      host: parts.host,
      port: parts.port,
      log: parts.log,
      handlers: {
        metrics: () => this.metrics.exposition(),
        liveness: () => liveness(view.loopState()),
        readiness: () => readiness(checks()),
        page: () => page,
        status: () => this.status(view, checks, connectors),
      },
    });
  }

  /** The status page's data: per direction figures, health, waits, connectors, recent events. */
  private status(view: RuntimeView, checks: () => ReturnType<typeof readinessChecks>, connectors: ConnectorWatch | undefined) {
    const byDirection = this.o.counters.byDirection();
    const lag = view.lag();
    const behind = this.metrics.behindSourceMs();
    // The directions are the topology's source nodes, known before the runtime runs.
    const directions = this.o.picture.description.subtopologies.flatMap((s) => s.nodes.filter((n) => n.type === 'source').map((n) => n.name));
    return {
      topology: this.o.picture.description.name,
      at: Date.now(),
      alive: liveness(view.loopState()),
      readiness: readiness(checks()),
      directions: directions.map((name) => ({
        name,
        ...(byDirection[name] ?? Counters.zero()),
        consumerLag: lag[name] ?? 0,
        behindSourceMs: behind[name] ?? null,
      })),
      waitingFor: this.o.outages.current(),
      connectors: connectors ? connectors.byDatabase() : null,
      conflicts: this.recent.conflicts(),
      deadLetters: this.recent.deadLetters(),
      nodes: this.o.counters.byNode(),
    };
  }
}
