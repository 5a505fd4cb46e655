// Kafka Connect's REST API, as Tandem needs it: the state of the source connectors that feed a
// topology (to say loudly when one stops), and the few calls the local stack makes (create,
// restart, offsets). One client for the runtime, the stack and the tests.
import { redactUrl } from '../config/redact';

export interface TaskState {
  id: number;
  state: string;
  trace?: string;
}

export interface ConnectorState {
  name: string;
  /** RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, RESTARTING. */
  state: string;
  trace?: string;
  tasks: TaskState[];
  /** The connector's `topic.prefix` (Debezium): the database id whose topics it writes. */
  topicPrefix?: string;
}

/** RUNNING with every task RUNNING (and at least one task). */
export function isRunning(c: ConnectorState): boolean {
  return c.state === 'RUNNING' && c.tasks.length > 0 && c.tasks.every((t) => t.state === 'RUNNING');
}

/** The first line of the first FAILED trace (connector or task), or undefined. */
export function failureOf(c: ConnectorState): string | undefined {
  const failed = [{ state: c.state, trace: c.trace }, ...c.tasks].find((s) => s.state === 'FAILED');
  if (!failed) return undefined;
  const lines = (failed.trace ?? 'no trace').split('\n');
  // Debezium's useful sentence is usually the last "Caused by" or the first line.
  const cause = [...lines].reverse().find((l) => l.startsWith('Caused by: '));
  const text = (cause ?? lines[0]).replace(/^Caused by: /, '').trim();
  // Debezium prints whole offset objects into its messages: keep the head and the tail.
  return text.length > 400 ? `${text.slice(0, 200)} … ${text.slice(-150)}` : text;
}

/** One line per connector: `name STATE` plus the failure when there is one. */
export function describeState(c: ConnectorState): string {
  const tasks = c.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ') || 'no tasks';
  const failure = failureOf(c);
  return `${c.name} ${c.state} (${tasks})${failure ? `: ${failure}` : ''}`;
}

interface StatusBody {
  connector?: { state?: string; trace?: string };
  tasks?: Array<{ id?: number; state?: string; trace?: string }>;
}

export function stateFrom(name: string, status: StatusBody, config?: Record<string, string>): ConnectorState {
  return {
    name,
    state: status.connector?.state ?? 'UNKNOWN',
    ...(status.connector?.trace ? { trace: status.connector.trace } : {}),
    tasks: (status.tasks ?? []).map((t, i) => ({ id: t.id ?? i, state: t.state ?? 'UNKNOWN', ...(t.trace ? { trace: t.trace } : {}) })),
    ...(config?.['topic.prefix'] ? { topicPrefix: config['topic.prefix'] } : {}),
  };
}

export class ConnectClient {
  /** The API as messages name it: credentials masked (TANDEM_CONNECT_URL may carry user:password@). */
  readonly baseUrl: string;
  /** Where requests go: the URL without its credentials, which fetch refuses (and would echo). */
  private readonly endpoint: string;
  private readonly authorization: string | undefined;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.baseUrl = redactUrl(baseUrl).replace(/\/+$/, '');
    const { endpoint, authorization } = splitCredentials(baseUrl.replace(/\/+$/, ''));
    this.endpoint = endpoint;
    this.authorization = authorization;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {
      ...(this.authorization ? { authorization: this.authorization } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const res = await fetch(`${this.endpoint}${path}`, {
      method,
      signal: AbortSignal.timeout(this.timeoutMs),
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${this.baseUrl}${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** Every connector with its status and `topic.prefix`, in one call. */
  async connectors(): Promise<ConnectorState[]> {
    const body = (await this.call('GET', '/connectors?expand=status&expand=info')) as Record<string, { status?: StatusBody; info?: { config?: Record<string, string> } }>;
    return Object.entries(body ?? {})
      .map(([name, v]) => stateFrom(name, v.status ?? {}, v.info?.config))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async status(name: string): Promise<ConnectorState> {
    return stateFrom(name, (await this.call('GET', `/connectors/${encodeURIComponent(name)}/status`)) as StatusBody);
  }

  /** Creates or updates a connector. */
  async put(name: string, config: Record<string, string>): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  /** Restarts the connector and its tasks (only the failed ones with `onlyFailed`). */
  async restart(name: string, onlyFailed = true): Promise<void> {
    await this.call('POST', `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=${onlyFailed}`);
  }

  async stop(name: string): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/stop`);
  }

  async resume(name: string): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }

  /** The source offsets Connect holds for the connector (Connect 3.5+). */
  async offsets(name: string): Promise<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }[]> {
    const body = (await this.call('GET', `/connectors/${encodeURIComponent(name)}/offsets`)) as { offsets?: { partition: Record<string, unknown>; offset: Record<string, unknown> | null }[] };
    return body?.offsets ?? [];
  }

  /** Replaces source offsets of a STOPPED connector (Connect 3.6+). */
  async alterOffsets(name: string, offsets: { partition: Record<string, unknown>; offset: Record<string, unknown> | null }[]): Promise<void> {
    await this.call('PATCH', `/connectors/${encodeURIComponent(name)}/offsets`, { offsets });
  }

  async pluginClasses(): Promise<string[]> {
    const body = await this.call('GET', '/connector-plugins');
    if (!Array.isArray(body)) return [];
    return body.flatMap((p: unknown) => (typeof p === 'object' && p !== null && 'class' in p && typeof p.class === 'string' ? [p.class] : []));
  }
}

/** `http://user:pw@host/x` as the URL without credentials plus the basic-auth header they stand for. */
export function splitCredentials(url: string): { endpoint: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { endpoint: url };
  }
  if (!u.username && !u.password) return { endpoint: url };
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { endpoint: u.toString().replace(/\/+$/, ''), authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}
