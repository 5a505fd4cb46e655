// Watches the Debezium source connectors that feed the topology (those whose topic.prefix is one
// of its databases) through Kafka Connect's REST API: a FAILED connector stops one direction
// without stopping any process, so Tandem says so, loudly and with what to do, and shows it in
// its status line until it runs again. One that failed because the registry did not answer is
// restarted (Connect never restarts a failed task), again and again with a growing pause, until
// it runs: the outage ends by itself and nothing is lost (the task resumes from its stored offset).
import { describeState, failureOf, isRunning, transientCause, type ConnectClient, type ConnectorState } from '../connect';
import type { ConnectorReadiness, Logger } from '../observe';

/** One watched database's connector as readiness, metrics and the status page show it. */
export interface WatchedConnector {
  database: string;
  /** Absent: no connector writes this database's topics. */
  connector?: string;
  /** Connect's state, FAILED when the connector or a task failed, `none` without a connector. */
  state: string;
  running: boolean;
  /** The failure's cause, when it failed. */
  error?: string;
  /** Restarts the watch made of it after a failure of a transient cause. */
  restarts: number;
}

export interface ConnectorWatchOptions {
  client: ConnectClient;
  /** Database ids = Debezium topic prefixes whose connectors matter. */
  prefixes: readonly string[];
  log: Logger;
  everyMs?: number;
  /** Restart a connector that failed for a transient cause (TANDEM_CONNECTOR_RESTART=transient). Default true. */
  restartTransient?: boolean;
}

/**
 * When the watch may restart a connector again: at once after a first failure, then 5 s, 10 s,
 * 20 s ... up to a minute after the last restart; a connector seen running for a minute starts
 * over. A task that fails again at once (the registry still away) is not restarted in a loop.
 */
export class RestartBackoff {
  /** Restarts made since the watch began, for the metric (attempts start over, this does not). */
  total = 0;
  private attempts = 0;
  private lastRestartMs = -Infinity;
  private runningSinceMs: number | undefined;

  constructor(
    private readonly firstPauseMs = 5000,
    private readonly maxPauseMs = 60_000,
    private readonly healthyAfterMs = 60_000,
  ) {}

  /** Whether a restart may happen at `nowMs`. */
  due(nowMs: number): boolean {
    return nowMs >= this.lastRestartMs + this.pauseMs();
  }

  /** The pause the next restart waits after the last one. */
  pauseMs(): number {
    return this.attempts === 0 ? 0 : Math.min(this.maxPauseMs, this.firstPauseMs * 2 ** (this.attempts - 1));
  }

  restarted(nowMs: number): void {
    this.total++;
    this.attempts++;
    this.lastRestartMs = nowMs;
    this.runningSinceMs = undefined;
  }

  running(nowMs: number): void {
    this.runningSinceMs ??= nowMs;
    if (nowMs - this.runningSinceMs >= this.healthyAfterMs) this.attempts = 0;
  }
}

export function restartHint(baseUrl: string, name: string): string {
  return (
    `fix the cause named in the error, then restart it: curl -X POST '${baseUrl}/connectors/${name}/restart?includeTasks=true&onlyFailed=true' ` +
    '(the local stack: make stack-up); see docs/runtime.md "A source connector failed"'
  );
}

export class ConnectorWatch {
  private timer: NodeJS.Timeout | undefined;
  private last = new Map<string, ConnectorState>();
  private reported = new Map<string, string>();
  private unreachable: string | undefined;
  private checked = false;
  private readonly backoffs = new Map<string, RestartBackoff>();

  constructor(private readonly o: ConnectorWatchOptions) {}

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.everyMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Last seen state of each watched connector. */
  states(): ConnectorState[] {
    return [...this.last.values()];
  }

  /** Per watched database, its connector's state. */
  byDatabase(): WatchedConnector[] {
    return this.o.prefixes.map((database) => {
      const c = [...this.last.values()].find((x) => x.topicPrefix === database);
      if (!c) return { database, state: 'none', running: false, restarts: 0 };
      const error = failureOf(c);
      const restarts = this.backoffs.get(c.name)?.total ?? 0;
      return { database, connector: c.name, state: error !== undefined ? 'FAILED' : c.state, running: isRunning(c), ...(error !== undefined ? { error } : {}), restarts };
    });
  }

  /** What readiness needs: each database's connector running, or why the state is unknown. */
  readiness(): ConnectorReadiness {
    const unknown = !this.checked ? 'not read from Kafka Connect yet' : this.unreachable !== undefined ? `Kafka Connect at ${this.o.client.baseUrl} does not answer: ${this.unreachable}` : undefined;
    return { ...(unknown !== undefined ? { unknown } : {}), databases: this.byDatabase() };
  }

  /** `a=RUNNING b=FAILED`, or a word on why nothing is known. */
  summary(): string {
    if (this.unreachable) return 'connectors ?';
    const byPrefix = this.o.prefixes.map((p) => {
      const c = [...this.last.values()].find((x) => x.topicPrefix === p);
      return `${p}=${c ? (isRunning(c) ? 'RUNNING' : failureOf(c) ? 'FAILED' : c.state) : 'none'}`;
    });
    return `connectors ${byPrefix.join(' ')}`;
  }

  async check(): Promise<void> {
    let all: ConnectorState[];
    try {
      all = await this.o.client.connectors();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (this.unreachable === undefined) this.o.log.warn(`cannot read the source connectors' state from Kafka Connect at ${this.o.client.baseUrl}: ${why}`, { hint: 'is Kafka Connect up? TANDEM_CONNECT_URL names it' });
      this.unreachable = why;
      this.checked = true;
      return;
    }
    this.checked = true;
    if (this.unreachable !== undefined) this.o.log.info(`Kafka Connect at ${this.o.client.baseUrl} answers again`);
    this.unreachable = undefined;
    const watched = all.filter((c) => c.topicPrefix !== undefined && this.o.prefixes.includes(c.topicPrefix));
    for (const p of this.o.prefixes) {
      if (!watched.some((c) => c.topicPrefix === p) && this.reported.get(`none:${p}`) === undefined) {
        this.reported.set(`none:${p}`, 'none');
        this.o.log.warn(`no connector of Kafka Connect at ${this.o.client.baseUrl} writes the topics of database ${p} (topic.prefix=${p}); nothing from ${p} will arrive`);
      }
    }
    this.last = new Map(watched.map((c) => [c.name, c]));
    for (const c of watched) {
      const failure = failureOf(c);
      const was = this.reported.get(c.name);
      const transient = failure !== undefined && this.o.restartTransient !== false ? transientCause(c) : undefined;
      if (failure !== undefined && transient !== undefined) {
        this.reported.set(c.name, failure);
        await this.restart(c, transient, failure);
      } else if (failure !== undefined && was !== failure) {
        this.reported.set(c.name, failure);
        this.o.log.error(`source connector ${describeState(c)}; changes of database ${c.topicPrefix} do not reach Kafka until it runs again`, {
          connector: c.name,
          hint: restartHint(this.o.client.baseUrl, c.name),
        });
      } else if (failure === undefined && was !== undefined && isRunning(c)) {
        this.reported.delete(c.name);
        this.o.log.info(`source connector ${c.name} is RUNNING again`, { connector: c.name });
      }
      if (isRunning(c)) this.backoffs.get(c.name)?.running(Date.now());
    }
  }

  private async restart(c: ConnectorState, cause: string, failure: string): Promise<void> {
    const backoff = this.backoffs.get(c.name) ?? new RestartBackoff();
    this.backoffs.set(c.name, backoff);
    const now = Date.now();
    if (!backoff.due(now)) return;
    backoff.restarted(now);
    const n = backoff.total;
    const fields = { connector: c.name, cause: failure, hint: 'TANDEM_CONNECTOR_RESTART=off leaves it FAILED for you to restart' };
    try {
      await this.o.client.restart(c.name);
      this.o.log.warn(`source connector ${c.name} failed: ${cause}; restarted it (restart ${n}; the next one no sooner than ${backoff.pauseMs() / 1000} s)`, fields);
    } catch (err) {
      this.o.log.warn(`source connector ${c.name} failed: ${cause}; restarting it did not work: ${err instanceof Error ? err.message : String(err)}`, fields);
    }
  }
}
