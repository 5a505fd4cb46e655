import { SyncedTables, type TandemConfig } from '../config';
import { fatal } from '../errors';
import { TopologyBuilder, type Named, type Stream } from './builder';
import type { MysqlSinkDescription } from './sink-description';
import type { TopicPattern, Topology } from './topology';

/** Options a topology passes for a database sink; they end up in its description. */
export interface DatabaseSinkOptions {
  /** Sink name (default `mysql-<dbId>`). */
  name?: string;
  /** Rows per write (default: config.batchRows). */
  batchRows?: number;
  /** How long a partial batch may wait (default: config.lingerMs). */
  lingerMs?: number;
  /** Flushes applied at once, on as many connections (default: config.sinkConnections). */
  connections?: number;
}

/**
 * What building a topology needs: the validated config, and the synced tables the runtime moves
 * as schema changes cross. Nothing live: sinks are descriptions until the graph runs.
 */
export interface TopologyResources {
  readonly config: TandemConfig;
  /** The synced tables as schema changes move them (default: config.tables, fixed). */
  readonly tables?: SyncedTables;
}

/** What a topology's build function receives. */
export interface TopologyContext {
  readonly config: TandemConfig;
  readonly tables: SyncedTables;
  stream(topics: TopicPattern | readonly TopicPattern[], named?: Named): Stream;
  /** The sink writing configured database `dbId`, as a description `.to()` takes; batching defaults to the config's. */
  mysql(dbId: string, options?: DatabaseSinkOptions): MysqlSinkDescription;
}

export interface TopologyDefinition {
  readonly name: string;
  /** Runs the build function and returns the graph; connects to nothing. */
  build(resources: TopologyResources): Topology;
}

/** What a topology file default-exports: `export default defineTopology('name', (ctx) => { ... })`. */
export function defineTopology(name: string, build: (ctx: TopologyContext) => void): TopologyDefinition {
  return {
    name,
    build(resources) {
      const builder = new TopologyBuilder(name);
      build({
        config: resources.config,
        tables: resources.tables ?? new SyncedTables(resources.config.tables, resources.config.allTables),
        mysql: (dbId, options) => mysqlSinkDescription(resources.config, dbId, options),
        stream: (topics, named) => builder.stream(topics, named),
      });
      return builder.build();
    },
  };
}

function mysqlSinkDescription(config: TandemConfig, dbId: string, options: DatabaseSinkOptions = {}): MysqlSinkDescription {
  if (!config.databases.some((d) => d.id === dbId)) {
    throw fatal(`topology asks for database "${dbId}", which is not configured`, {
      stage: 'config',
      hint: `configured databases: ${config.databases.map((d) => d.id).join(', ')} (TANDEM_DB_<ID>_URL)`,
    });
  }
  return { kind: 'mysql', name: options.name ?? `mysql-${dbId}`, db: dbId, batchRows: options.batchRows ?? config.batchRows, lingerMs: options.lingerMs ?? config.lingerMs, connections: options.connections ?? config.sinkConnections };
}

export function isTopologyDefinition(value: unknown): value is TopologyDefinition {
  return typeof value === 'object' && value !== null && typeof (value as TopologyDefinition).name === 'string' && typeof (value as TopologyDefinition).build === 'function';
}
