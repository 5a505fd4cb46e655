// A topology definition run with real MySQL sinks, as `tandem run` and `tandem dlq replay` run it:
// each `ctx.mysql(id)` description becomes a MySQL sink with its batching, Tandem's identity and
// the synced tables.
import { databaseById, type SyncedTables, type TandemConfig } from '../config';
import type { TopologyDefinition } from '../dsl';
import { fatal } from '../errors';
import { Executor, type SinkFor } from '../executor';
import type { Logger } from '../observe';
import { mysqlSink } from '../sink';

/** What the sinks tell the metrics. */
export interface SinkObserver {
  /** A flush committed: its rows and how long its transaction took. */
  flushed(sink: string, rows: number, ms: number): void;
  /** A flush lost a deadlock against another one and goes again. */
  deadlock(sink: string): void;
}

/** The runtime's `sinkFor`: a MySQL sink for each `kind: 'mysql'` description. */
export function mysqlSinkFor(config: TandemConfig, tables: SyncedTables, log: Logger, observer?: SinkObserver): SinkFor {
  return (d) => {
    if (d.kind !== 'mysql') throw fatal(`sink ${d.name} is ${d.kind}: tandem run writes only to databases (ctx.mysql)`, { stage: 'config' });
    return mysqlSink({
      name: d.name,
      url: databaseById(config, d.db).url,
      tables: Object.fromEntries(config.tables.map((t) => [t.name, { primaryKey: t.primaryKey }])),
      synced: tables,
      serverId: config.serverId,
      gtidDomainId: config.gtidDomainId,
      databaseId: d.db,
      maxRows: d.batchRows,
      lingerMs: d.lingerMs,
      connections: d.connections,
      tombstoneRetentionMs: config.tombstoneRetentionSeconds * 1000,
      logger: log.child(d.name),
      ...(observer ? { onFlush: (rows: number, ms: number) => observer.flushed(d.name, rows, ms), onDeadlock: () => observer.deadlock(d.name) } : {}),
    });
  };
}

/** The topology built and given its MySQL sinks. */
export function mysqlExecutor(
  definition: TopologyDefinition,
  config: TandemConfig,
  tables: SyncedTables,
  log: Logger,
  observer?: SinkObserver,
): Executor {
  return new Executor(definition.build({ config, tables }), mysqlSinkFor(config, tables, log, observer));
}

/** The databases a topology writes to (each needs loop prevention installed). */
export function writtenDatabases(executor: Executor): string[] {
  return [...new Set(executor.topology.sinks.flatMap((n) => (n.sink.kind === 'mysql' ? [n.sink.db] : [])))];
}
