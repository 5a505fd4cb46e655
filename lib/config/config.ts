import { readFileSync } from 'node:fs';
import { fatal } from '../errors';
import { redactSecrets, redactUrl } from './redact';
import { parseTables, type TableSpec } from './tables';

/** One of the two synced databases. `id` is also its Debezium topic prefix (`a.chat.rooms`). */
export interface DatabaseSpec {
  id: string;
  url: string;
  /** The schema name from the URL's path (`chat`): the middle part of the topic names. */
  database: string;
}

/** Tandem's settings, validated once at start. */
export interface TandemConfig {
  /** Comma-separated `host:port` list, as librdkafka wants it. */
  brokers: string;
  registryUrl: string;
  databases: DatabaseSpec[];
  /** The synced tables (TANDEM_TABLES); under `*`, empty until `resolveAllTables` lists them. */
  tables: TableSpec[];
  /**
   * TANDEM_TABLES=*: every table of the database that can be synced, tables created while Tandem
   * runs included (docs/schema-changes.md).
   */
  allTables: boolean;
  groupId: string;
  batchRows: number;
  lingerMs: number;
  /** The least time between two offset commits (TANDEM_COMMIT_INTERVAL_MS). */
  commitIntervalMs: number;
  /** Flushes each database sink applies at once, each on its own connection (TANDEM_SINK_CONNECTIONS). */
  sinkConnections: number;
  dlqTopic: string;
  /** Where conflict audit records go (TANDEM_AUDIT_TOPIC); unset: no audit output. */
  auditTopic?: string;
  /**
   * Kafka Connect's REST API (TANDEM_CONNECT_URL), to watch the source connectors; the local
   * stack's by default when the brokers are the local stack's too; unset: not watched.
   */
  connectUrl?: string;
  /**
   * TANDEM_CONNECTOR_RESTART: `transient` (default) restarts a watched source connector that failed
   * because the schema registry did not answer, with a growing pause, until it runs; `off` leaves
   * every FAILED connector to the operator (docs/runtime.md, "A source connector failed").
   */
  connectorRestart: 'transient' | 'off';
  /** The session server_id of every Tandem write; the origin filter drops events carrying it. */
  serverId: number;
  /** The session gtid_domain_id of every Tandem write on MariaDB: a GTID stream of Tandem's own. */
  gtidDomainId: number;
  /** Tandem's own table in each database, whose change stream carries deletes. */
  tombstoneTable: string;
  /**
   * TANDEM_DOCTOR: `on` runs tandem doctor's checks when `tandem run` starts and stops on any
   * refused finding (docs/doctor.md); `off` skips them (tests, a one-way bench into one database).
   */
  doctor: 'on' | 'off';
  /**
   * How long a delete is remembered (TANDEM_TOMBSTONE_RETENTION), in seconds. Must exceed the
   * longest time a change can be delayed (outages): an older delete can be resurrected by a late update.
   */
  tombstoneRetentionSeconds: number;
  /**
   * Which schema changes of synced tables cross (TANDEM_DDL): `all` (default, like native
   * replication), `additive` (only what cannot lose data), `none` (docs/schema-changes.md).
   */
  ddl: 'all' | 'additive' | 'none';
  /**
   * TANDEM_HTTP_PORT: the port of /metrics, /healthz, /readyz and the status page; unset or `off`:
   * no HTTP server (`make run` sets 9464 unless told otherwise); 0: a free port the OS picks.
   */
  httpPort?: number;
  /** TANDEM_HTTP_HOST: the address it listens on (loopback by default). */
  httpHost: string;
  /**
   * TANDEM_COORDINATOR_WAIT, in seconds: how long the Kafka consumer may be without its group
   * coordinator before Tandem replaces it with a new client (a librdkafka client can stay wedged
   * after a broker restart; docs/runtime.md).
   */
  coordinatorWaitSeconds: number;
}

type Parsed<T> = { value: T } | { error: string };
type Parser<T> = (raw: unknown) => Parsed<T>;

/** What the settings parse into, before the two database URLs become `databases`. */
type Settings = Omit<TandemConfig, 'databases' | 'tombstoneTable' | 'allTables'> & { dbAUrl: DatabaseSpec; dbBUrl: DatabaseSpec };

/** One setting: its environment variable; its key in the JSON file is the field name. */
interface Setting<T> {
  env: string;
  parse: Parser<T>;
}

// A bad setting is echoed so the operator sees what was read, but never a password in it: a
// database or registry URL, or a secret pasted into the wrong variable.
const show = (raw: unknown): string => redactSecrets(JSON.stringify(raw) ?? String(raw));
/** A URL setting as given, password masked (a text that does not parse loses all before its `@`). */
const showUrl = (raw: unknown): string => (typeof raw === 'string' ? JSON.stringify(redactUrl(raw.trim())) : show(raw));

function integer(min: number, max: number, what: string): Parser<number> {
  return (raw) => {
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max ? { value: n } : { error: `must be ${what}, got ${show(raw)}` };
  };
}

function text(test: RegExp, what: string): Parser<string> {
  return (raw) => (typeof raw === 'string' && test.test(raw.trim()) ? { value: raw.trim() } : { error: `must be ${what}, got ${show(raw)}` });
}

const brokers: Parser<string> = (raw) => {
  const list = typeof raw === 'string' ? raw : Array.isArray(raw) && raw.every((b) => typeof b === 'string') ? raw.join(',') : null;
  const hosts = list?.split(',').map((b) => b.trim());
  if (!hosts || hosts.some((h) => !/^[^\s:,]+:\d{1,5}$/.test(h))) return { error: `must be a comma-separated list of host:port, got ${show(raw)}` };
  return { value: hosts.join(',') };
};

const httpUrl: Parser<string> = (raw) => {
  if (typeof raw === 'string') {
    try {
      const url = new URL(raw.trim());
      if (url.protocol === 'http:' || url.protocol === 'https:') return { value: raw.trim().replace(/\/+$/, '') };
    } catch {
      // falls through to the error below
    }
  }
  return { error: `must be an http(s) URL, got ${showUrl(raw)}` };
};

function database(id: string): Parser<DatabaseSpec> {
  return (raw) => {
    const what = `a URL like mysql://user:password@host:port/database`;
    if (typeof raw !== 'string') return { error: `must be ${what}, got ${show(raw)}` };
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      return { error: `must be ${what}, got ${showUrl(raw)}` };
    }
    const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') return { error: `must use mysql:// or mariadb://, got ${show(url.protocol)}` };
    // The whole URL, masked, not its path: without `//` (mysql:user:pw@host/db) the path is all of it.
    if (!/^[A-Za-z0-9_$]+$/.test(name)) return { error: `must name the database in its path (…/chat), got ${showUrl(raw)}` };
    return { value: { id, url: raw.trim(), database: name } };
  };
}

/** `*`: every table (resolved against the databases at start), with no list to parse. */
export const ALL_TABLES = '*';
const isAllTables = (raw: unknown) => typeof raw === 'string' && raw.trim() === ALL_TABLES;

const tables: Parser<TableSpec[]> = (raw) => {
  if (isAllTables(raw)) return { value: [] };
  const list = typeof raw === 'string' ? raw : Array.isArray(raw) && raw.every((t) => typeof t === 'string') ? raw.join(',') : null;
  if (list === null) return { error: `must be a list like "rooms,members:room_id+user_id,messages", got ${show(raw)}` };
  const parsed = parseTables(list);
  return typeof parsed === 'string' ? { error: `${parsed} (expected a list like "rooms,members:room_id+user_id,messages")` } : { value: parsed };
};

function oneOf<T extends string>(...choices: T[]): Parser<T> {
  return (raw) => {
    const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    const found = choices.find((c) => c === value);
    return found === undefined ? { error: `must be one of ${choices.join(', ')}, got ${show(raw)}` } : { value: found };
  };
}

/** A port, or `off`/empty for none. */
const port: Parser<number | undefined> = (raw) => {
  if (typeof raw === 'string' && raw.trim().toLowerCase() === 'off') return { value: undefined };
  return optional(integer(0, 65535, 'a TCP port (0 to 65535), or off'))(raw);
};

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `7d`, `36h`, `90m`, `45s` or a plain number of seconds, within [min, max] seconds. */
function duration(min: number, max: number): Parser<number> {
  return (raw) => {
    const what = `a duration like 7d, 36h, 90m or a number of seconds, between ${min} s and ${max / 86_400} days`;
    const m = /^(\d+)\s*([smhd]?)$/i.exec(typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '');
    const seconds = m ? Number(m[1]) * DURATION_UNITS[(m[2] || 's').toLowerCase()] : NaN;
    return Number.isSafeInteger(seconds) && seconds >= min && seconds <= max ? { value: seconds } : { error: `must be ${what}, got ${show(raw)}` };
  };
}

const identifier = text(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka name (letters, digits, . _ -)');

/** A setting that may be left unset (no default): absent or empty parses to undefined. */
function optional<T>(parse: Parser<T>): Parser<T | undefined> {
  return (raw) => (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '') ? { value: undefined } : parse(raw));
}

const settings: { [K in keyof Settings]: Setting<Settings[K]> } = {
  brokers: { env: 'TANDEM_BROKERS', parse: brokers },
  registryUrl: { env: 'TANDEM_REGISTRY_URL', parse: httpUrl },
  dbAUrl: { env: 'TANDEM_DB_A_URL', parse: database('a') },
  dbBUrl: { env: 'TANDEM_DB_B_URL', parse: database('b') },
  tables: { env: 'TANDEM_TABLES', parse: tables },
  groupId: { env: 'TANDEM_GROUP_ID', parse: identifier },
  batchRows: { env: 'TANDEM_BATCH_ROWS', parse: integer(1, 1_000_000, 'a positive integer') },
  lingerMs: { env: 'TANDEM_LINGER_MS', parse: integer(0, 3_600_000, 'an integer of milliseconds >= 0') },
  commitIntervalMs: { env: 'TANDEM_COMMIT_INTERVAL_MS', parse: integer(0, 3_600_000, 'an integer of milliseconds >= 0') },
  sinkConnections: { env: 'TANDEM_SINK_CONNECTIONS', parse: integer(1, 64, 'an integer between 1 and 64') },
  dlqTopic: { env: 'TANDEM_DLQ_TOPIC', parse: identifier },
  auditTopic: { env: 'TANDEM_AUDIT_TOPIC', parse: optional(identifier) },
  connectUrl: { env: 'TANDEM_CONNECT_URL', parse: optional(httpUrl) },
  connectorRestart: { env: 'TANDEM_CONNECTOR_RESTART', parse: oneOf('transient', 'off') },
  serverId: { env: 'TANDEM_SERVER_ID', parse: integer(1, 4_294_967_295, 'a server id between 1 and 4294967295') },
  gtidDomainId: { env: 'TANDEM_GTID_DOMAIN_ID', parse: integer(0, 4_294_967_295, 'a GTID domain id between 0 and 4294967295') },
  doctor: { env: 'TANDEM_DOCTOR', parse: oneOf('on', 'off') },
  httpPort: { env: 'TANDEM_HTTP_PORT', parse: port },
  httpHost: { env: 'TANDEM_HTTP_HOST', parse: text(/^[A-Za-z0-9.:_-]{1,253}$/, 'a host name or IP address to listen on') },
  // A minute at least: below that, ordinary consumer lag would outlive a delete's tombstone.
  tombstoneRetentionSeconds: { env: 'TANDEM_TOMBSTONE_RETENTION', parse: duration(60, 3650 * 86_400) },
  ddl: { env: 'TANDEM_DDL', parse: oneOf('all', 'additive', 'none') },
  coordinatorWaitSeconds: { env: 'TANDEM_COORDINATOR_WAIT', parse: duration(5, 86_400) },
};

/** The defaults, as the text a user would set (so they go through the same parsers). */
export const defaultSettings: Readonly<Record<string, string>> = {
  TANDEM_BROKERS: '127.0.0.1:9092',
  TANDEM_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  TANDEM_DB_A_URL: 'mysql://tandem:tandem@127.0.0.1:3307/chat',
  TANDEM_DB_B_URL: 'mysql://tandem:tandem@127.0.0.1:3308/chat',
  // members' key is (room_id, user_id); the others' is `id`.
  TANDEM_TABLES: 'rooms,members:room_id+user_id,messages',
  TANDEM_GROUP_ID: 'tandem-bidirectional',
  TANDEM_BATCH_ROWS: '1000',
  TANDEM_LINGER_MS: '0',
  TANDEM_COMMIT_INTERVAL_MS: '100',
  TANDEM_SINK_CONNECTIONS: '4',
  TANDEM_DLQ_TOPIC: 'tandem.dlq',
  TANDEM_CONNECTOR_RESTART: 'transient',
  TANDEM_SERVER_ID: '4100',
  TANDEM_GTID_DOMAIN_ID: '4100',
  TANDEM_DOCTOR: 'on',
  TANDEM_HTTP_HOST: '127.0.0.1',
  TANDEM_TOMBSTONE_RETENTION: '7d',
  TANDEM_DDL: 'all',
  TANDEM_COORDINATOR_WAIT: '60s',
};

export const TOMBSTONE_TABLE = 'tandem_tombstones';
const LOCAL_CONNECT_URL = 'http://127.0.0.1:8083';

/**
 * Where JSON.parse failed, without its text: V8 quotes the file around the error ("…\"dbAUrl\":
 * \"mysql://u:pw@…\" is not valid JSON"), and this file may hold passwords.
 */
function jsonFailure(err: unknown, body: string): string {
  const message = err instanceof Error ? err.message : '';
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const before = body.slice(0, Number(position[1]));
    return `at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  return /end of JSON input/.test(message) ? 'it ends too early' : 'an unexpected token (not shown: the file may hold passwords)';
}

function readConfigFile(path: string): Record<string, unknown> {
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (err) {
    throw fatal(`TANDEM_CONFIG names ${path}, which cannot be read: ${(err as Error).message}`, { stage: 'config', hint: 'fix the path or unset TANDEM_CONFIG' });
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (err) {
    throw fatal(`config file ${path} is not valid JSON: ${jsonFailure(err, body)}`, { stage: 'config', hint: `find it with a JSON validator, e.g. jq . ${path}` });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw fatal(`config file ${path} must hold a JSON object`, { stage: 'config' });
  const known = new Set(Object.keys(settings));
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw fatal(`config file ${path} has unknown setting(s) ${unknown.join(', ')}`, { stage: 'config', hint: `known: ${[...known].join(', ')}` });
  }
  return data as Record<string, unknown>;
}

/**
 * Reads Tandem's settings: environment variables win over the optional JSON file named by
 * `TANDEM_CONFIG`, which wins over the defaults. Every bad setting is reported at once, by name,
 * in one `fatal` error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TandemConfig {
  const file = env.TANDEM_CONFIG?.trim() ? readConfigFile(env.TANDEM_CONFIG.trim()) : {};
  const errors: string[] = [];
  const values: Partial<Record<keyof Settings, unknown>> = {};
  const raws: Partial<Record<keyof Settings, unknown>> = {};
  for (const [key, setting] of Object.entries(settings) as [keyof Settings, Setting<unknown>][]) {
    const fromEnv = env[setting.env];
    const [raw, origin] =
      fromEnv !== undefined && fromEnv !== '' ? [fromEnv, setting.env] : key in file ? [file[key], `${key} in ${env.TANDEM_CONFIG}`] : [defaultSettings[setting.env], setting.env];
    raws[key] = raw;
    const parsed = setting.parse(raw);
    if ('error' in parsed) errors.push(`${origin} ${parsed.error}`);
    else if (parsed.value !== undefined) values[key] = parsed.value;
  }
  if (errors.length > 0) {
    throw fatal(`invalid configuration:\n  ${errors.join('\n  ')}`, { stage: 'config', hint: 'fix the settings named above (environment or TANDEM_CONFIG file)' });
  }
  const { dbAUrl, dbBUrl, ...rest } = values as Settings;
  // The local stack's Connect goes with the local stack's brokers (the defaults).
  const localBrokers = rest.brokers === defaultSettings.TANDEM_BROKERS && !env.TANDEM_BROKERS && !('brokers' in file);
  const connectUrl = rest.connectUrl ?? (localBrokers && env.TANDEM_CONNECT_URL === undefined ? LOCAL_CONNECT_URL : undefined);
  return { ...rest, ...(connectUrl ? { connectUrl } : {}), databases: [dbAUrl, dbBUrl], tombstoneTable: TOMBSTONE_TABLE, allTables: isAllTables(raws.tables) };
}

/** The database with this id, or a fatal error naming the ones configured. */
export function databaseById(config: TandemConfig, id: string): DatabaseSpec {
  const db = config.databases.find((d) => d.id === id);
  if (!db) throw fatal(`no database "${id}" is configured (have ${config.databases.map((d) => d.id).join(', ')})`, { stage: 'config' });
  return db;
}

/**
 * Every Debezium topic of one database: its synced tables, Tandem's tombstone table, and its
 * schema-change topic (named like the topic prefix: `a`), whose DDL statements cross too.
 */
export function topicsOf(config: TandemConfig, id: string): (string | RegExp)[] {
  const db = databaseById(config, id);
  // Every table's topic, those of tables created later included (librdkafka re-reads the pattern's matches).
  if (config.allTables) return [new RegExp(`^${escapeRegExp(db.id)}\\.${escapeRegExp(db.database)}\\.[^.]+$`), db.id];
  return [...[...config.tables.map((t) => t.name), config.tombstoneTable].map((t) => `${db.id}.${db.database}.${t}`), db.id];
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
