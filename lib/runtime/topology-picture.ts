// The topology as the status page draws it, known before anything connects: the definition is
// built once more with sinks that only describe themselves (as `tandem describe` does), and each
// source and sink node is tied to the database it reads or writes.
import { databaseById, redactUrl, type TandemConfig } from '../config';
import type { TopologyDefinition } from '../dsl';
import { TandemError } from '../errors';
import type { Sink } from '../model';
import type { TopologyPicture } from '../observe';

/** A sink that only describes itself: describe must not connect to anything. */
export function describedSink(config: TandemConfig, dbId: string, name = `mysql-${dbId}`): Sink {
  const db = databaseById(config, dbId);
  const refuse = (): never => {
    throw new TandemError('fatal', `sink ${name} was built for describe only`, { stage: name });
  };
  return {
    name,
    describe: () => `mysql ${db.id}: ${redactUrl(db.url)}, batches of ${config.batchRows} rows or ${config.lingerMs} ms`,
    write: async () => refuse(),
    flush: async () => refuse(),
    close: async () => undefined,
  };
}

/** The database ids (= Debezium topic prefixes) a source's topics belong to. */
export function prefixesOf(config: TandemConfig, topics: readonly (string | RegExp)[]): string[] {
  return config.databases.filter((d) => topics.some((t) => (typeof t === 'string' ? t.startsWith(`${d.id}.`) : t.test(`${d.id}.${d.database}.x`)))).map((d) => d.id);
}

export function topologyPicture(definition: TopologyDefinition, config: TandemConfig): TopologyPicture {
  const sinkDb = new Map<Sink, string>();
  const topology = definition.build({
    config,
    mysql: (dbId, options) => {
      const sink = describedSink(config, dbId, options?.name);
      sinkDb.set(sink, dbId);
      return sink;
    },
  });
  const sourceDatabases: Record<string, string> = {};
  for (const s of topology.sources) {
    const [db] = prefixesOf(config, s.topics);
    if (db !== undefined) sourceDatabases[s.name] = db;
  }
  const sinkDatabases: Record<string, string> = {};
  for (const n of topology.sinks) {
    const db = sinkDb.get(n.sink);
    if (db !== undefined) sinkDatabases[n.name] = db;
  }
  return { description: topology.describe(), sourceDatabases, sinkDatabases };
}
