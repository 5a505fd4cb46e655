// Kafka Connect (distributed worker, one node) with the Debezium MariaDB source and JDBC sink plugins,
// and the two source connectors (topic prefixes a and b) registered over its REST API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeRegExp } from '../config';
import { ConnectClient, failureOf, isRunning } from '../connect';
import type { Component } from './component';
import { ComponentError } from './component';
import type { StackConfig } from './config';
import type { StackArtifacts } from './fetch';
import { javaService } from './java-service';
import { CONNECTOR_QUEUE_BYTES, MAX_RECORD_BYTES } from './limits';
import { waitFor } from './wait';

export const requiredPlugins = ['io.debezium.connector.mariadb.MariaDbConnector', 'io.debezium.connector.jdbc.JdbcSinkConnector'];

export function workerProperties(cfg: StackConfig, art: StackArtifacts): string {
  return [
    `bootstrap.servers=${cfg.host}:${cfg.ports.kafka}`,
    'group.id=tandem-connect',
    `listeners=http://${cfg.host}:${cfg.ports.connect}`,
    `rest.advertised.host.name=${cfg.host}`,
    `rest.advertised.port=${cfg.ports.connect}`,
    'key.converter=org.apache.kafka.connect.json.JsonConverter',
    'value.converter=org.apache.kafka.connect.json.JsonConverter',
    'config.storage.topic=connect-configs',
    'offset.storage.topic=connect-offsets',
    'status.storage.topic=connect-status',
    'config.storage.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    'offset.flush.interval.ms=1000',
    // A worker that lost its group membership (Kafka down longer than the session timeout) comes
    // back as a new member, and Connect holds the connectors it ran unassigned for up to this
    // delay (5 min by default) in case the old member returns: with one worker, nothing would run
    // for 5 minutes after every Kafka outage. Seconds are enough here (docs/runtime.md).
    'scheduled.rebalance.max.delay.ms=10000',
    // The connectors' producers wait out a Kafka outage instead of failing the task after the
    // defaults (2 min delivery timeout, 1 min blocked send): the change stream resumes by itself.
    'producer.delivery.timeout.ms=2147483647',
    'producer.max.block.ms=2147483647',
    // A change event up to the stack's largest (lib/stack/limits.ts; an update carries the row twice).
    // Above max.request.size (1 MB by default) the producer throws RecordTooLargeException and the
    // task FAILS; above buffer.memory (32 MiB) likewise. The broker's message.max.bytes is larger.
    `producer.max.request.size=${MAX_RECORD_BYTES}`,
    `producer.buffer.memory=${MAX_RECORD_BYTES}`,
    // A change goes to Kafka at once rather than after the producer's 5 ms wait for more to batch
    // with (latency; under load batches still form while a request is in flight).
    'producer.linger.ms=0',
    `plugin.path=${art.pluginPath}`,
    '',
  ].join('\n');
}

export function connectComponent(cfg: StackConfig, art: StackArtifacts): Component {
  const base = `http://${cfg.host}:${cfg.ports.connect}`;
  return javaService(cfg, {
    name: 'connect',
    address: base,
    javaHome: cfg.versions.javaHome17,
    // Room for a change event of MAX_RECORD_BYTES in flight: the binlog event, the row, its Avro
    // encoding and the producer's copy each hold it once.
    heap: '1536m',
    startTimeoutMs: 150_000,
    prepare: (dir) => writeFileSync(join(dir, 'worker.properties'), workerProperties(cfg, art)),
    args: (dir) => ['-cp', `${art.kafkaLib}/*`, 'org.apache.kafka.connect.cli.ConnectDistributed', join(dir, 'worker.properties')],
    probe: async () => {
      const classes = await new ConnectClient(base, 5000).pluginClasses();
      return requiredPlugins.every((c) => classes.includes(c));
    },
  });
}

/**
 * Partitions of the row topics the connectors create: a table's changes spread over this many
 * partitions by key, and Tandem applies each partition on a connection of its own
 * (TANDEM_SINK_CONNECTIONS, the same number by default). Topics that exist keep their count.
 */
export const ROW_TOPIC_PARTITIONS = 4;

/** Debezium's connector config for database `db` ('a' | 'b'): Avro in the Confluent wire format. */
export function sourceConnectorConfig(cfg: StackConfig, db: 'a' | 'b'): Record<string, string> {
  const registry = `http://${cfg.host}:${cfg.ports.registry}/apis/registry/v2`;
  // Apicurio 2.6 converter in Confluent mode: magic byte 0 + 4-byte id, the id being the content id
  // that the registry's ccompat API serves under /schemas/ids/<id>; no id headers.
  const avro: Record<string, string> = {
    'apicurio.registry.url': registry,
    'apicurio.registry.auto-register': 'true',
    'apicurio.registry.find-latest': 'true',
    'apicurio.registry.as-confluent': 'true',
    'apicurio.registry.use-id': 'contentId',
    'apicurio.registry.headers.enabled': 'false',
    // A registry outage must not fail the task: the converter re-registers each cached schema once
    // its cache entry expires (30 s by default) and, with the registry down, throws. Entries now
    // live a day, and an expired one whose refresh fails is used as it is (ids never change).
    'apicurio.registry.check-period-ms': '86400000',
    'apicurio.registry.fault-tolerant-refresh': 'true',
  };
  const converter = (side: 'key' | 'value') => ({
    [`${side}.converter`]: 'io.apicurio.registry.utils.converter.AvroConverter',
    ...Object.fromEntries(Object.entries(avro).map(([k, v]) => [`${side}.converter.${k}`, v])),
  });
  return {
    'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'tasks.max': '1',
    'database.hostname': cfg.host,
    'database.port': String(db === 'a' ? cfg.ports.dbA : cfg.ports.dbB),
    'database.user': 'dbz',
    'database.password': 'dbz',
    'database.server.id': String(db === 'a' ? 5401 : 5402),
    'database.ssl.mode': 'disable',
    'topic.prefix': db,
    'database.include.list': 'chat',
    'include.schema.changes': 'true',
    // TRUNCATE is a schema change Tandem replays (TANDEM_DDL); Debezium skips it unless told.
    'skipped.operations': 'none',
    'schema.history.internal.kafka.bootstrap.servers': `${cfg.host}:${cfg.ports.kafka}`,
    'schema.history.internal.kafka.topic': `schemahistory.${db}`,
    // After the database restarts, the binlog reader reconnects within 2 s instead of the 60 s default.
    'connect.keep.alive.interval.ms': '2000',
    // Debezium 3.5's MariaDbErrorHandler walks the cause chain to its end and then asks the base
    // class about null, so every error counts as non-retriable and a database that is down for
    // more than a moment FAILS the task (EOFException while reading the binlog). These messages
    // are the database being away: the task restarts itself (unlimited retries) until it is back.
    'custom.retriable.exception':
      '.*(Failed to read next byte|Connection refused|Communications link failure|Connection reset|Socket closed|Broken pipe|Server shutdown in progress|Could not connect|Unable to connect|Connection is closed|Lost connection|connection was killed).*',
    'retriable.restart.connector.wait.ms': '3000',
    'decimal.handling.mode': 'precise',
    'time.precision.mode': 'adaptive_time_microseconds',
    'bigint.unsigned.handling.mode': 'precise',
    // Each field's connect.parameters then name the column's own type, length and scale, so the
    // sink can add a column the other side gained with the same definition (docs/schema-changes.md).
    'column.propagate.source.type': 'chat\\..*',
    // Bounds the records held between the binlog reader and Kafka by bytes, not only by count
    // (8192): 8192 rows of 20 MB would exhaust Connect's heap. A larger record still passes alone.
    'max.queue.size.in.bytes': String(CONNECTOR_QUEUE_BYTES),
    // Latency (docs/runtime.md, "Latency"): when its queue is empty, the task looks again after
    // poll.interval.ms, 500 ms by default; a change arriving just after a look waited up to that
    // long before it was sent (about 290 ms at the median, measured by make bench-lag). Each look
    // costs CPU while idle: about 8 % of a core per connector at 10 ms here, 1 % at 500 ms.
    'poll.interval.ms': '10',
    // The topics this connector creates: row topics with several partitions (parallel apply), the
    // schema-change topic with one (its statements keep one order).
    'topic.creation.default.partitions': String(ROW_TOPIC_PARTITIONS),
    'topic.creation.default.replication.factor': '-1',
    'topic.creation.groups': 'schema_changes',
    'topic.creation.schema_changes.include': `^${db}$`,
    'topic.creation.schema_changes.partitions': '1',
    'topic.creation.schema_changes.replication.factor': '-1',
    ...echoFilter(cfg.tandemServerId, db),
    // Connect stores the offset of a record it sends, not of one a transform drops: while only
    // Tandem writes on this side, its stored position would stay where the application last
    // wrote (a restart then re-reads from there, and a binlog purged meanwhile fails the task).
    // A heartbeat record every 10 s (on __debezium-heartbeat.<prefix>, which Tandem does not read)
    // carries the position read so far into the stored offset.
    'heartbeat.interval.ms': '10000',
    ...converter('key'),
    ...converter('value'),
  };
}

/**
 * Drops Tandem's own writes at the source (docs/loop-prevention.md, "Echoes dropped at the
 * source"): Debezium's Filter SMT keeps a change only when its binlog server id is not Tandem's.
 * Tandem's origin filter would drop them anyway; dropped here, they cost neither Connect's Avro
 * conversion, nor Kafka, nor Tandem's consumer. The connector still reads them, so its offset
 * (its GTID position) moves past them as before. Kafka tombstones (null values) pass untested.
 */
export function echoFilter(serverId: number, topicPrefix: string): Record<string, string> {
  if (!Number.isSafeInteger(serverId) || serverId < 1) throw new RangeError(`a server id, not ${serverId}`);
  return {
    transforms: 'dropTandemEchoes',
    'transforms.dropTandemEchoes.type': 'io.debezium.transforms.Filter',
    'transforms.dropTandemEchoes.language': 'jsr223.groovy',
    'transforms.dropTandemEchoes.condition': `value.source.server_id != ${serverId}`,
    // The row topics and the schema-change topic (their values have a source block); not the
    // heartbeat topic, whose values have none.
    'transforms.dropTandemEchoes.topic.regex': `${escapeRegExp(topicPrefix)}(\\..+)?`,
  };
}

export const sourceConnectorName = (db: 'a' | 'b') => `tandem-source-${db}`;

/**
 * PUTs the source connector for `db` (create or update), restarts it if it is FAILED, and waits
 * until it and its task run. A connector that fails again is an error naming its cause.
 */
export async function registerSourceConnector(cfg: StackConfig, db: 'a' | 'b', logFile: string, timeoutMs = 90_000): Promise<string> {
  const name = sourceConnectorName(db);
  const client = new ConnectClient(`http://${cfg.host}:${cfg.ports.connect}`, 30_000);
  const component = `connector ${name}`;
  try {
    await client.put(name, sourceConnectorConfig(cfg, db));
    // A PUT of an unchanged config restarts nothing: a task that FAILED earlier stays FAILED.
    // (A connector just created has no status yet: 404.)
    const st = await client.status(name).catch(() => undefined);
    if (st && failureOf(st) !== undefined) await client.restart(name, true);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A Connect started before stack-up added the scripting jars has not loaded them.
    const stale = /io\.debezium\.transforms\.Filter/.test(message) && /not found|could not be found|ClassNotFound/i.test(message);
    throw new ComponentError(component, stale ? `${message}\n  what to do: this Connect started before its plugin dir had Debezium's scripting jars; restart it (make stack-down, then make stack-up)` : message, logFile);
  }
  let failure: string | undefined;
  try {
    await waitFor(
      `${name} and its task to be RUNNING`,
      async () => {
        const st = await client.status(name);
        const why = failureOf(st);
        if (why !== undefined) failure = `it is FAILED: ${why}`;
        return isRunning(st);
      },
      { timeoutMs, intervalMs: 500, abort: () => failure },
    );
  } catch (err) {
    throw new ComponentError(component, `${err instanceof Error ? err.message : String(err)}\n  ${connectorFailureHint}`, logFile);
  }
  return name;
}

/** What to do about a source connector that keeps failing (also logged by `tandem run`). */
export const connectorFailureHint =
  "what to do: read the connector's error above and docs/runtime.md (\"A source connector failed\"); after fixing the cause, `make stack-up` restarts it";
