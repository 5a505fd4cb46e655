// Kafka Connect (distributed worker, one node) with the Debezium MariaDB source and JDBC sink plugins,
// and the two source connectors (topic prefixes a and b) registered over its REST API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component';
import { ComponentError } from './component';
import type { StackConfig } from './config';
import type { StackArtifacts } from './fetch';
import { javaService } from './java-service';
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
    `plugin.path=${art.pluginPath}`,
    '',
  ].join('\n');
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

function pluginClasses(body: unknown): string[] {
  if (!Array.isArray(body)) return [];
  return body.flatMap((p: unknown) => (typeof p === 'object' && p !== null && 'class' in p && typeof p.class === 'string' ? [p.class] : []));
}

export function connectComponent(cfg: StackConfig, art: StackArtifacts): Component {
  const base = `http://${cfg.host}:${cfg.ports.connect}`;
  return javaService(cfg, {
    name: 'connect',
    address: base,
    javaHome: cfg.versions.javaHome17,
    heap: '768m',
    startTimeoutMs: 150_000,
    prepare: (dir) => writeFileSync(join(dir, 'worker.properties'), workerProperties(cfg, art)),
    args: (dir) => ['-cp', `${art.kafkaLib}/*`, 'org.apache.kafka.connect.cli.ConnectDistributed', join(dir, 'worker.properties')],
    probe: async () => {
      const classes = pluginClasses(await getJson(`${base}/connector-plugins`));
      return requiredPlugins.every((c) => classes.includes(c));
    },
  });
}

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
    'schema.history.internal.kafka.bootstrap.servers': `${cfg.host}:${cfg.ports.kafka}`,
    'schema.history.internal.kafka.topic': `schemahistory.${db}`,
    'decimal.handling.mode': 'precise',
    'time.precision.mode': 'adaptive_time_microseconds',
    'bigint.unsigned.handling.mode': 'precise',
    // Each field's connect.parameters then name the column's own type, length and scale, so the
    // sink can add a column the other side gained with the same definition (docs/schema-changes.md).
    'column.propagate.source.type': 'chat\\..*',
    ...converter('key'),
    ...converter('value'),
  };
}

interface ConnectorStatus {
  connector?: { state?: string; trace?: string };
  tasks?: Array<{ id?: number; state?: string; trace?: string }>;
}

/** PUTs the source connector for `db` (create or update) and waits until it and its task run. */
export async function registerSourceConnector(cfg: StackConfig, db: 'a' | 'b', logFile: string, timeoutMs = 90_000): Promise<string> {
  const name = `tandem-source-${db}`;
  const base = `http://${cfg.host}:${cfg.ports.connect}`;
  const component = `connector ${name}`;
  const res = await fetch(`${base}/connectors/${name}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sourceConnectorConfig(cfg, db)),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new ComponentError(component, `PUT ${base}/connectors/${name}/config: HTTP ${res.status} ${(await res.text()).slice(0, 800)}`, logFile);
  await res.arrayBuffer().catch(() => undefined);
  let failure: string | undefined;
  try {
    await waitFor(
      `${name} and its task to be RUNNING`,
      async () => {
        const st = (await getJson(`${base}/connectors/${name}/status`)) as ConnectorStatus;
        const failed = [st.connector, ...(st.tasks ?? [])].find((s) => s?.state === 'FAILED');
        if (failed) failure = `it is FAILED: ${(failed.trace ?? '').split('\n').slice(0, 8).join('\n')}`;
        return st.connector?.state === 'RUNNING' && (st.tasks ?? []).length > 0 && (st.tasks ?? []).every((t) => t.state === 'RUNNING');
      },
      { timeoutMs, intervalMs: 500, abort: () => failure },
    );
  } catch (err) {
    throw new ComponentError(component, err instanceof Error ? err.message : String(err), logFile);
  }
  return name;
}
