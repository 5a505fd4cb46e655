// Runs a topology against Kafka until a signal or a fatal error: builds the real resources
// (MySQL sinks, the Debezium decoder, the consumer and the dead-letter producer), shows the
// status line, serves metrics, health and the status page (TANDEM_HTTP_PORT), and maps the
// outcome to an exit code.
import { databaseById, SyncedTables, type TandemConfig } from '../config';
import type { TopologyDefinition } from '../dsl';
import { defaultRetryPolicy, kindOf, TandemError, fatal, withRetry } from '../errors';
import { ConnectClient, failureOf } from '../connect';
import { Counters, Outages, StatusLine, formatDuration, type Logger, type RunningHttpServer } from '../observe';
import { ConnectorWatch } from './connector-watch';
import { DatabaseProbe } from './database-probe';
import { DebeziumDecoder } from '../debezium';
import { preflight } from '../doctor';
import { ConfluentSchemaRegistrySource } from '../registry';
import { installOriginSupport, primeSchemaAgreement } from '../sink';
import { DslPipeline } from './dsl-pipeline';
import { mysqlExecutor, writtenDatabases } from './mysql-topology';
import { Observability } from './observability';
import { consumerSettings, producerSettings } from './kafka-config';
import { RdkafkaConsumer } from './rdkafka-consumer';
import { RdkafkaDeadLetters } from './rdkafka-dead-letters';
import { Runtime } from './runtime';
import { endBySignal, onShutdownSignals } from './shutdown';
import { topologyPicture } from './topology-picture';
import { withResolvedTables } from '../tables';

export interface LaunchOptions {
  definition: TopologyDefinition;
  config: TandemConfig;
  logger: Logger;
  /** Status line: redrawn in place on a terminal, logged every `statusEveryMs` otherwise. */
  tty: boolean;
  statusEveryMs?: number;
  /** Lets the logger clear the status line before it writes. */
  screen?: { clear: () => void };
}

export async function launch(o: LaunchOptions): Promise<number> {
  const { config, logger: log } = o;
  // A database that is down at start is waited for, like one that goes down later.
  const outages = new Outages({ log: log.child('runtime') });
  const counters = new Counters();
  const picture = topologyPicture(o.definition, config);
  const connectors = config.connectUrl
    ? new ConnectorWatch({ client: new ConnectClient(config.connectUrl), prefixes: [...new Set(Object.values(picture.sourceDatabases))], log: log.child('connectors'), restartTransient: config.connectorRestart === 'transient' })
    : undefined;
  if (connectors) connectors.start();
  else log.info('TANDEM_CONNECT_URL is not set: the source connectors are not watched');
  // The HTTP port opens first, so /healthz and /readyz answer (not ready, and why) while Tandem
  // starts: the doctor's checks, a database or Kafka waited for.
  const start: { phase: string; runtime?: Runtime } = { phase: "running tandem doctor's checks" };
  const observability = config.httpPort !== undefined ? new Observability({ counters, outages, picture }) : undefined;
  const probes = observability ? config.databases.map((d) => new DatabaseProbe({ id: d.id, url: d.url })) : [];
  for (const p of probes) p.start();
  let server: RunningHttpServer | undefined;
  try {
    if (observability && config.httpPort !== undefined) {
      server = await observability
        .serve({ runtime: () => start.runtime, phase: () => start.phase, databases: probes, connectors, host: config.httpHost, port: config.httpPort, log: log.child('http') })
        .catch((err: unknown) => {
          throw fatal(`cannot serve the status page and metrics on ${config.httpHost}:${config.httpPort}: ${err instanceof Error ? err.message : String(err)}`, {
            stage: 'config',
            hint: 'set TANDEM_HTTP_PORT to a free port, or to off for no HTTP server',
          });
        });
      log.info(`status page, metrics and health checks at ${server.url}`, { url: server.url, httpPort: server.port });
    }
    return await startAndRun(o, { outages, counters, connectors, observability, start });
  } finally {
    connectors?.stop();
    for (const p of probes) p.stop();
    await server?.close();
  }
}

interface Started {
  outages: Outages;
  counters: Counters;
  connectors: ConnectorWatch | undefined;
  observability: Observability | undefined;
  /** What the HTTP server reads while Tandem starts: the phase, then the runtime. */
  start: { phase: string; runtime?: Runtime };
}

async function startAndRun(o: LaunchOptions, s: Started): Promise<number> {
  const { logger: log } = o;
  const { outages, counters, connectors, observability, start } = s;
  // TANDEM_TABLES=*: the tables both sides have and Tandem can sync, read from them now; tables
  // created later join as their CREATE TABLE crosses.
  const resolved = await withRetry(defaultRetryPolicy, () => withResolvedTables(o.config), outages.hooks('databases (TANDEM_TABLES=*)'));
  const config = resolved.config;
  const tables = new SyncedTables(config.tables, config.allTables);
  for (const r of resolved.refused) {
    tables.refuse(r.table, r.reason);
    log.warn(`table ${r.table} is not synced: ${r.reason}`, { table: r.table });
  }
  if (config.allTables) log.info(`TANDEM_TABLES=*: syncing ${config.tables.length} tables`, { tables: config.tables.map((t) => t.name) });
  // tandem doctor first (TANDEM_DOCTOR=off skips it): a refused finding stops the start before
  // any sink, trigger or consumer exists.
  await preflight({ config, log: log.child('doctor'), outages });
  start.phase = 'installing loop prevention in the databases';
  const executor = mysqlExecutor(o.definition, config, tables, log, observability?.sinks);
  const topology = executor.topology;
  // Loop prevention needs triggers and the tombstone table in every database Tandem writes to.
  for (const dbId of writtenDatabases(executor)) {
    const db = databaseById(config, dbId);
    await withRetry(defaultRetryPolicy, () => installOriginSupport(db.url, config.tables.map((t) => t.name)), outages.hooks(`mysql-${dbId}`));
    log.info('origin support installed', { database: dbId });
  }
  // What both sides' definitions agree on now: a change made on both at once is caught against it.
  await withRetry(defaultRetryPolicy, () => primeSchemaAgreement(config.tables.map((t) => t.name)), outages.hooks('databases (table definitions)'));
  start.phase = 'connecting to Kafka';
  const pipeline = new DslPipeline(executor);
  const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(config.registryUrl) });
  const consumer = await RdkafkaConsumer.connect(consumerSettings({ brokers: config.brokers, groupId: config.groupId, clientId: `tandem-${topology.name}` }), log.child('kafka'), { policy: defaultRetryPolicy, outages, coordinatorWaitMs: config.coordinatorWaitSeconds * 1000 });
  const deadLetters = await RdkafkaDeadLetters.connect(producerSettings({ brokers: config.brokers, clientId: `tandem-${topology.name}` }), config.dlqTopic, log.child('dlq'), defaultRetryPolicy, outages);
  const audits = config.auditTopic ? deadLetters.auditTo(config.auditTopic) : undefined;
  const runtime = new Runtime({ consumer, deadLetters, audits, pipeline, decoder, logger: log.child('runtime'), counters, batchRows: config.batchRows, commitIntervalMs: config.commitIntervalMs, outages, monitor: observability?.monitor });
  start.runtime = runtime;
  const notes = () => [
    ...runtime.waitingFor().map((w) => `waiting for ${w.what} ${formatDuration(Date.now() - w.sinceMs)}`),
    ...(connectors ? [connectors.summary()] : []),
  ];
  const status = new StatusLine({
    sample: () => ({ counters: counters.snapshot(), atMs: Date.now() }),
    lag: () => runtime.lag(),
    notes,
    tty: o.tty,
    write: o.tty
      ? (text) => process.stderr.write(text)
      : (text) =>
          log.info('status', {
            status: text,
            ...counters.snapshot(),
            lag: runtime.lag(),
            waitingFor: runtime.waitingFor().map((w) => w.what),
            ...(connectors ? { connectors: Object.fromEntries(connectors.states().map((c) => [c.name, failureOf(c) ? 'FAILED' : c.state])) } : {}),
          }),
    intervalMs: o.tty ? 1000 : (o.statusEveryMs ?? 10_000),
  });
  status.start();
  if (o.screen) o.screen.clear = () => status.clear();
  const uninstall = onShutdownSignals(
    (signal) => {
      log.info(`${signal}: stopping gracefully (send it again to force)`);
      runtime.stop();
    },
    (signal) => {
      log.warn(`${signal} again: forced exit; uncommitted records will be re-applied on restart`);
      endBySignal(signal);
    },
  );
  log.info('running', { topology: topology.name, sources: pipeline.sources.map((s) => s.name), brokers: config.brokers, group: config.groupId });
  try {
    await runtime.run();
    return 0;
  } catch (err) {
    const e = err instanceof TandemError ? err : new TandemError(kindOf(err), err instanceof Error ? err.message : String(err));
    log.error('stopped on a fatal error', { error: e.message, hint: e.context.hint });
    return 1;
  } finally {
    status.stop();
    uninstall();
  }
}
