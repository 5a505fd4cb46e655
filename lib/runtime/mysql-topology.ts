// A topology definition built with real MySQL sinks, as `tandem run` and `tandem dlq replay`
// build it: one sink per `ctx.mysql(id)`, with the configured batching, identity and tables.
import type { SyncedTables, TandemConfig } from '../config';
import type { DatabaseSinkOptions, Topology, TopologyDefinition } from '../dsl';
import { fatal } from '../errors';
import type { Sink } from '../model';
import type { Logger } from '../observe';
import { mysqlSink } from '../sink';

export function databaseOf(config: TandemConfig, dbId: string) {
  const db = config.databases.find((d) => d.id === dbId);
  if (!db) {
    throw fatal(`topology asks for database "${dbId}", which is not configured`, {
      stage: 'config',
      hint: `configured databases: ${config.databases.map((d) => d.id).join(', ')} (TANDEM_DB_<ID>_URL)`,
    });
  }
  return db;
}

export interface MysqlTopology {
  topology: Topology;
  /** The sink of each database the topology writes to. */
  sinks: Map<string, Sink>;
}

export function buildMysqlTopology(
  definition: TopologyDefinition,
  config: TandemConfig,
  tables: SyncedTables,
  log: Logger,
  onFlush?: (sink: string, rows: number, ms: number) => void,
): MysqlTopology {
  const sinks = new Map<string, Sink>();
  const topology = definition.build({
    config,
    tables,
    mysql: (dbId: string, options: DatabaseSinkOptions = {}) => {
      const db = databaseOf(config, dbId);
      const name = options.name ?? `mysql-${dbId}`;
      const sink = mysqlSink({
        name,
        url: db.url,
        tables: Object.fromEntries(config.tables.map((t) => [t.name, { primaryKey: t.primaryKey }])),
        synced: tables,
        serverId: config.serverId,
        gtidDomainId: config.gtidDomainId,
        databaseId: dbId,
        maxRows: options.batchRows ?? config.batchRows,
        lingerMs: options.lingerMs ?? config.lingerMs,
        tombstoneRetentionMs: config.tombstoneRetentionSeconds * 1000,
        logger: log.child(name),
        ...(onFlush ? { onFlush: (rows: number, ms: number) => onFlush(name, rows, ms) } : {}),
      });
      sinks.set(dbId, sink);
      return sink;
    },
  });
  return { topology, sinks };
}
