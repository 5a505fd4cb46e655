// Debezium's JDBC sink connector in the stack's Kafka Connect: upsert mode, deletes on, keys from
// the record key, tables pre-created (no schema evolution), and the same Apicurio Avro converter
// settings the stack's source connectors write with.
import { sourceConnectorConfig, type StackConfig } from '../../lib/stack';
import { waitUntil } from './stats';

export interface JdbcSinkOptions {
  name: string;
  topics: string[];
  /** Target database on 127.0.0.1:`port`. */
  port: number;
  database: string;
  batchSize: number;
  tasks?: number;
}

export function jdbcSinkConfig(cfg: StackConfig, o: JdbcSinkOptions): Record<string, string> {
  const converters = Object.fromEntries(Object.entries(sourceConnectorConfig(cfg, 'a')).filter(([k]) => k.startsWith('key.converter') || k.startsWith('value.converter')));
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': String(o.tasks ?? 1),
    'topics': o.topics.join(','),
    'connection.url': `jdbc:mariadb://127.0.0.1:${o.port}/${o.database}`,
    'connection.username': 'tandem',
    'connection.password': 'tandem',
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'schema.evolution': 'none',
    'batch.size': String(o.batchSize),
    // Connect polls 500 records by default: a batch can only fill when a poll brings that many.
    'consumer.override.max.poll.records': String(o.batchSize),
    'consumer.override.auto.offset.reset': 'earliest',
    'use.time.zone': 'UTC',
    'collection.name.format': '${source.table}',
    ...converters,
  };
}

interface Status {
  connector?: { state?: string; trace?: string };
  tasks?: Array<{ state?: string; trace?: string }>;
}

export async function startJdbcSink(cfg: StackConfig, o: JdbcSinkOptions): Promise<void> {
  const base = `http://${cfg.host}:${cfg.ports.connect}`;
  const res = await fetch(`${base}/connectors/${o.name}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(jdbcSinkConfig(cfg, o)) });
  if (!res.ok) throw new Error(`PUT connector ${o.name}: HTTP ${res.status} ${(await res.text()).slice(0, 800)}`);
  await res.arrayBuffer().catch(() => undefined);
  await waitUntil(`JDBC sink ${o.name} RUNNING`, async () => {
    const st = (await (await fetch(`${base}/connectors/${o.name}/status`)).json()) as Status;
    const failed = [st.connector, ...(st.tasks ?? [])].find((s) => s?.state === 'FAILED');
    if (failed) throw new Error(`JDBC sink ${o.name} FAILED: ${(failed.trace ?? '').split('\n').slice(0, 12).join('\n')}`);
    return st.connector?.state === 'RUNNING' && (st.tasks ?? []).length > 0 && (st.tasks ?? []).every((t) => t.state === 'RUNNING');
  }, 60_000, 250);
}

/** Throws when the connector or a task has failed (checked while waiting for it to drain). */
export async function assertJdbcSinkHealthy(cfg: StackConfig, name: string): Promise<void> {
  const st = (await (await fetch(`http://${cfg.host}:${cfg.ports.connect}/connectors/${name}/status`)).json()) as Status;
  const failed = [st.connector, ...(st.tasks ?? [])].find((s) => s?.state === 'FAILED');
  if (failed) throw new Error(`JDBC sink ${name} FAILED: ${(failed.trace ?? '').split('\n').slice(0, 12).join('\n')}`);
}

export async function deleteConnector(cfg: StackConfig, name: string): Promise<void> {
  const res = await fetch(`http://${cfg.host}:${cfg.ports.connect}/connectors/${name}`, { method: 'DELETE' });
  await res.arrayBuffer().catch(() => undefined);
}
