// `topologies/<name>.ts`, as `tandem run`, `describe` and `dlq replay` load it.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isTopologyDefinition, type TopologyDefinition } from '../dsl';
import { TandemError } from '../errors';

export const TOPOLOGY_DIR = resolve(__dirname, '../../topologies');

/** Loads `topologies/<name>.ts` and checks it default-exports `defineTopology(...)`. */
export async function loadTopology(name: string, dir = TOPOLOGY_DIR): Promise<TopologyDefinition> {
  const file = join(dir, `${name}.ts`);
  if (!/^[\w-]+$/.test(name) || !existsSync(file)) {
    const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)) : [];
    throw new TandemError('fatal', `no topology "${name}" in ${dir} (have: ${have.join(', ') || 'none'})`, { stage: 'cli' });
  }
  const mod = (await import(file)) as { default?: unknown };
  // Loaded as CommonJS through tsx, the default export may sit one level deeper.
  const candidate = isTopologyDefinition(mod.default) ? mod.default : (mod.default as { default?: unknown } | undefined)?.default;
  if (!isTopologyDefinition(candidate)) {
    throw new TandemError('fatal', `${file} must default-export defineTopology(name, (ctx) => { ... })`, { stage: 'cli' });
  }
  return candidate;
}
