import { loadConfig } from '../config';
import { TandemError } from '../errors';
import { describedSink } from '../runtime/topology-picture';
import { loadTopology } from './load-topology';

/** `tandem describe <name>`: prints the topology's graph. */
export default async function describe(args: string[]): Promise<number> {
  const [name] = args;
  if (!name) {
    process.stderr.write('usage: tandem describe <topology name>  (a file topologies/<name>.ts; examples/reporting is topologies/examples/reporting.ts)\n');
    return 2;
  }
  try {
    const config = loadConfig();
    const definition = await loadTopology(name);
    const topology = definition.build({ config, mysql: (dbId, options) => describedSink(config, dbId, options?.name) });
    process.stdout.write(topology.describe().toString());
    return 0;
  } catch (err) {
    if (!(err instanceof TandemError)) throw err;
    process.stderr.write(`tandem describe: ${err.message}\n${err.context.hint ? `  hint: ${err.context.hint}\n` : ''}`);
    return 1;
  }
}
