// The topology as the status page draws it, known before anything connects: the built graph
// (whose sinks are descriptions, so nothing is made to draw it), with each source and sink node
// tied to the database it reads or writes.
import type { TandemConfig } from '../config';
import type { TopologyDefinition } from '../dsl';
import type { TopologyPicture } from '../observe';

/** The database ids (= Debezium topic prefixes) a source's topics belong to. */
export function prefixesOf(config: TandemConfig, topics: readonly (string | RegExp)[]): string[] {
  return config.databases.filter((d) => topics.some((t) => (typeof t === 'string' ? t.startsWith(`${d.id}.`) : t.test(`${d.id}.${d.database}.x`)))).map((d) => d.id);
}

export function topologyPicture(definition: TopologyDefinition, config: TandemConfig): TopologyPicture {
  const topology = definition.build({ config });
  const sourceDatabases: Record<string, string> = {};
  for (const s of topology.sources) {
    const [db] = prefixesOf(config, s.topics);
    if (db !== undefined) sourceDatabases[s.name] = db;
  }
  const sinkDatabases: Record<string, string> = {};
  for (const n of topology.sinks) if (n.sink.kind === 'mysql') sinkDatabases[n.name] = n.sink.db;
  return { description: topology.describe(), sourceDatabases, sinkDatabases };
}
