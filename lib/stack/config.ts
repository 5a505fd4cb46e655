// Where the local stack lives (state dir, cache) and on which loopback ports, from TANDEM_* env vars.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config';
import { loadVersions, type StackVersions } from './versions';

export interface StackPorts {
  kafka: number;
  controller: number;
  registry: number;
  /** Apicurio's Quarkus management interface (health, metrics); 9000 by default upstream. */
  registryManagement: number;
  connect: number;
  dbA: number;
  dbB: number;
}

export interface StackConfig {
  stateDir: string;
  cacheDir: string;
  host: string;
  ports: StackPorts;
  versions: StackVersions;
  /** Tandem's server id (TANDEM_SERVER_ID): the source connectors drop the changes it wrote. */
  tandemServerId: number;
}

/** Env var name and default of each port: the one table both config and `env --free-ports` read. */
export const portVars: ReadonlyArray<readonly [keyof StackPorts, string, number]> = [
  ['kafka', 'TANDEM_KAFKA_PORT', 9092],
  ['controller', 'TANDEM_KAFKA_CONTROLLER_PORT', 9093],
  ['registry', 'TANDEM_REGISTRY_PORT', 8081],
  ['registryManagement', 'TANDEM_REGISTRY_MANAGEMENT_PORT', 9081],
  ['connect', 'TANDEM_CONNECT_PORT', 8083],
  ['dbA', 'TANDEM_DB_A_PORT', 3307],
  ['dbB', 'TANDEM_DB_B_PORT', 3308],
];

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  if (n === 3306) throw new Error(`${name}=3306 belongs to the machine's own MariaDB; pick another port`);
  return n;
}

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const cacheDir = resolve(env.TANDEM_CACHE_DIR || join(homedir(), '.cache', 'tandem'));
  const ports = Object.fromEntries(portVars.map(([key, name, def]) => [key, port(env, name, def)])) as unknown as StackPorts;
  return {
    stateDir: resolve(env.TANDEM_STATE_DIR || join(cacheDir, 'state')),
    cacheDir,
    host: '127.0.0.1',
    ports,
    versions: loadVersions(),
    // Parsed as `tandem run` parses it, so the connectors drop what that runtime writes.
    tandemServerId: loadConfig(env).serverId,
  };
}

/** The TANDEM_* connection settings that point Tandem (and the e2e tests) at this stack. */
export function clientEnv(cfg: StackConfig): Record<string, string> {
  const h = cfg.host;
  return {
    TANDEM_BROKERS: `${h}:${cfg.ports.kafka}`,
    TANDEM_REGISTRY_URL: `http://${h}:${cfg.ports.registry}/apis/ccompat/v7`,
    TANDEM_CONNECT_URL: `http://${h}:${cfg.ports.connect}`,
    TANDEM_DB_A_URL: `mysql://tandem:tandem@${h}:${cfg.ports.dbA}/chat`,
    TANDEM_DB_B_URL: `mysql://tandem:tandem@${h}:${cfg.ports.dbB}/chat`,
  };
}
