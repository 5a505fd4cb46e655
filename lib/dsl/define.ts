import { SyncedTables, type TandemConfig } from '../config';
import type { Sink } from '../model';
import { TopologyBuilder, type Named, type Stream } from './builder';
import type { TopicPattern, Topology } from './topology';

/** Options a topology passes for a database sink; the runtime maps them onto the MySQL sink. */
export interface DatabaseSinkOptions {
  /** Sink name (default `mysql-<dbId>`). */
  name?: string;
  /** Rows per write (default: config.batchRows). */
  batchRows?: number;
  /** How long a partial batch may wait (default: config.lingerMs). */
  lingerMs?: number;
}

/**
 * What the runtime and the test driver each supply to build a topology: the validated config and
 * database sinks (the runtime's MySQL sink, the driver's in-memory database).
 */
export interface TopologyResources {
  readonly config: TandemConfig;
  mysql(dbId: string, options?: DatabaseSinkOptions): Sink;
  /** The synced tables as schema changes move them (default: config.tables, fixed). */
  readonly tables?: SyncedTables;
}

/** What a topology's build function receives. */
export interface TopologyContext extends TopologyResources {
  readonly tables: SyncedTables;
  stream(topics: TopicPattern | readonly TopicPattern[], named?: Named): Stream;
}

export interface TopologyDefinition {
  readonly name: string;
  /** Runs the build function against these resources and returns the graph. */
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
        mysql: (dbId, options) => resources.mysql(dbId, options),
        stream: (topics, named) => builder.stream(topics, named),
      });
      return builder.build();
    },
  };
}

export function isTopologyDefinition(value: unknown): value is TopologyDefinition {
  return typeof value === 'object' && value !== null && typeof (value as TopologyDefinition).name === 'string' && typeof (value as TopologyDefinition).build === 'function';
}
