// `tandem describe <topology> [--format text|mermaid|json]`: the graph of topologies/<name>.ts,
// as built (its sinks are descriptions): nothing is connected to.
import { loadConfig } from '../config';
import { describeAsJson, renderDescription, renderMermaid, type TopologyDescription } from '../dsl';
import { runCommand } from './command';
import { loadTopology } from './load-topology';

export const usage = `usage: tandem describe <topology> [--format text|mermaid|json]
  prints the graph of topologies/<topology>.ts (sources, stages, sinks and their links) without
  connecting to anything; text (default) in the layout of Kafka Streams' TopologyDescription,
  mermaid as a flowchart, json as data
  exit: 0 printed, 1 the topology does not load or build, 2 bad arguments`;

const renderers: Record<string, (d: TopologyDescription) => string> = { text: renderDescription, mermaid: renderMermaid, json: describeAsJson };

export function parseDescribeArgs(args: readonly string[]): { name: string; format: string } | string {
  let name: string | undefined;
  let format = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const value = a === '--format' ? args[++i] : a.slice('--format='.length);
      if (value === undefined || !(value in renderers)) return `--format must be one of ${Object.keys(renderers).join(', ')}${value === undefined ? '' : `, not ${value}`}`;
      format = value;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (name === undefined) name = a;
    else return `one topology at a time (got ${name} and ${a})`;
  }
  if (name === undefined) return 'which topology? (a file topologies/<name>.ts)';
  return { name, format };
}

export default function describe(args: string[]): Promise<number> {
  return runCommand('describe', usage, parseDescribeArgs(args), async (p) => {
    const config = loadConfig();
    const definition = await loadTopology(p.name);
    const topology = definition.build({ config });
    process.stdout.write(renderers[p.format](topology.describe()));
    return 0;
  });
}
