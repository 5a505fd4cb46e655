// Finds and loads the topology a command names: `bidirectional` is topologies/bidirectional.ts,
// `examples/reporting` is topologies/examples/reporting.ts. One loader for `run` and `describe`,
// so both accept the same names and fail with the same message.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isTopologyDefinition, type TopologyDefinition } from '../dsl';
import { TandemError } from '../errors';

export const TOPOLOGY_DIR = resolve(__dirname, '../../topologies');

/**
 * A name is one or more `/`-separated segments of letters, digits, `_` and `-`: no `.`, `..`,
 * leading `/` or backslash, so it cannot name a file outside the topology directory.
 */
const NAME = /^[\w-]+(\/[\w-]+)*$/;

/** Every topology under `dir`, as the names `run` and `describe` take (`examples/reporting`). */
export function topologyNames(dir = TOPOLOGY_DIR): string[] {
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) names.push(path.slice(0, -3));
    }
  };
  walk('');
  return names.filter((n) => NAME.test(n));
}

/** Loads `<dir>/<name>.ts` and checks it default-exports `defineTopology(...)`. */
export async function loadTopology(name: string, dir = TOPOLOGY_DIR): Promise<TopologyDefinition> {
  const file = resolve(dir, `${name}.ts`);
  const inside = !relative(dir, file).startsWith(`..${sep}`);
  if (!NAME.test(name) || !inside || !existsSync(file)) {
    const why = NAME.test(name) ? '' : ' (a name is a path under it without .ts: letters, digits, _ - and /)';
    throw new TandemError('fatal', `no topology "${name}" in ${dir}${why} (have: ${topologyNames(dir).join(', ') || 'none'})`, { stage: 'cli' });
  }
  const mod = require(file) as { default?: unknown };
  // Loaded as CommonJS through tsx, the default export may sit one level deeper.
  const candidate = isTopologyDefinition(mod.default) ? mod.default : (mod.default as { default?: unknown } | undefined)?.default;
  if (!isTopologyDefinition(candidate)) {
    throw new TandemError('fatal', `${file} must default-export defineTopology(name, (ctx) => { ... })`, { stage: 'cli' });
  }
  return candidate;
}
