// `stack up | down | status`: the five components in dependency order, each idempotent.
import { readFileSync } from 'node:fs';
import { ComponentError, type Component } from './component';
import { clientEnv, loadStackConfig, portVars, type StackConfig, type StackPorts } from './config';
import { ConnectClient, type ConnectorState } from '../connect';
import { registerSourceConnector, connectComponent, sourceConnectorName } from './connect';
import { dbComponent } from './databases';
import { artifactDirs, ensureArtifacts, type StackArtifacts } from './fetch';
import { kafkaComponent } from './kafka';
import { portsClaimedByOthers, releaseClaim, writeClaim } from './port-claims';
import { osFreePort, portFree } from './ports';
import { registryComponent } from './registry';
import { checkWireFormat } from './wire-check';

export interface StackComponents {
  dbA: Component;
  dbB: Component;
  kafka: Component;
  registry: Component;
  connect: Component;
  all: Component[];
}

export function stackComponents(cfg: StackConfig, art: StackArtifacts = artifactDirs(cfg)): StackComponents {
  const c = {
    dbA: dbComponent(cfg, 'a'),
    dbB: dbComponent(cfg, 'b'),
    kafka: kafkaComponent(cfg, art),
    registry: registryComponent(cfg, art),
    connect: connectComponent(cfg, art),
  };
  return { ...c, all: [c.dbA, c.dbB, c.kafka, c.registry, c.connect] };
}

const portsOf: Record<string, Array<keyof StackPorts>> = {
  'db-a': ['dbA'],
  'db-b': ['dbB'],
  kafka: ['kafka', 'controller'],
  registry: ['registry', 'registryManagement'],
  connect: ['connect'],
};

/** Does the stack in `stateDir` have a process of its own running? */
function stackRuns(cacheDir: string, stateDir: string): boolean {
  return stackComponents(loadStackConfig({ TANDEM_CACHE_DIR: cacheDir, TANDEM_STATE_DIR: stateDir })).all.some((c) => c.pids().length > 0);
}

const claimedByOthers = (cfg: Pick<StackConfig, 'cacheDir' | 'stateDir'>) => portsClaimedByOthers(cfg, (dir) => stackRuns(cfg.cacheDir, dir));

/**
 * A component that is not ours-and-running must find its ports free and unclaimed by another
 * stack (whose server may be down for a moment), or we say who is in the way.
 */
async function checkPorts(cfg: StackConfig, c: Component, claimed: ReadonlyMap<number, string>): Promise<void> {
  if (c.pids().length > 0) return;
  for (const key of portsOf[c.name] ?? []) {
    const port = cfg.ports[key];
    const envName = portVars.find(([k]) => k === key)?.[1] ?? '';
    const other = claimed.get(port);
    if (other !== undefined) throw new ComponentError(c.name, `port ${cfg.host}:${port} belongs to the stack in ${other}, which runs (one of its servers may be down for a moment); set ${envName}, or stop that stack first`, c.logFile);
    if (!(await portFree(port, cfg.host))) {
      throw new ComponentError(c.name, `port ${cfg.host}:${port} is taken by a process that is not this stack's (state dir ${cfg.stateDir}); stop it or set ${envName}`, c.logFile);
    }
  }
}

export type Log = (line: string) => void;

export async function stackUp(cfg: StackConfig, log: Log): Promise<void> {
  const t0 = Date.now();
  const art = await ensureArtifacts(cfg);
  const s = stackComponents(cfg, art);
  const claimed = claimedByOthers(cfg);
  for (const c of s.all) await checkPorts(cfg, c, claimed);
  writeClaim(cfg, cfg.ports);
  const timed = async (c: Component) => {
    const t = Date.now();
    const was = (await c.isUp()) ? 'already up' : '';
    await c.up();
    log(`  ${c.name.padEnd(9)} up  ${c.address}  (${was || `${((Date.now() - t) / 1000).toFixed(1)}s`})`);
  };
  // Databases, broker and registry do not need each other; Connect needs the broker. The two
  // databases go one after the other: concurrent mariadb-install-db runs can collide in /tmp.
  await Promise.all([timed(s.dbA).then(() => timed(s.dbB)), timed(s.kafka).then(() => timed(s.connect)), timed(s.registry)]);
  await Promise.all(
    (['a', 'b'] as const).map(async (db) => {
      const name = await registerSourceConnector(cfg, db, s.connect.logFile);
      log(`  ${name} RUNNING (topics ${db}.chat.<table>, schema changes on ${db})`);
    }),
  );
  const env = clientEnv(cfg);
  await Promise.all(
    (['a', 'b'] as const).map(async (db) => {
      try {
        const wf = await checkWireFormat(env.TANDEM_BROKERS, env.TANDEM_REGISTRY_URL, db, 60_000);
        log(`  topic ${db}: Confluent wire format, schema id ${wf.schemaId} resolves in the registry`);
      } catch (err) {
        throw new ComponentError(`connector tandem-source-${db}`, err instanceof Error ? err.message : String(err), s.connect.logFile);
      }
    }),
  );
  log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)}s (state: ${cfg.stateDir})`);
}

export async function stackDown(cfg: StackConfig, log: Log): Promise<void> {
  const s = stackComponents(cfg);
  // Connect first (it holds connections to everything), then the rest together.
  const stop = async (c: Component) => log(`  ${c.name.padEnd(9)} ${await c.down()}`);
  await stop(s.connect);
  await Promise.all([stop(s.registry), stop(s.kafka), stop(s.dbA), stop(s.dbB)]);
  releaseClaim(cfg);
}

export interface StatusLine {
  name: string;
  up: boolean;
  address: string;
  pids: number[];
}

export async function stackStatus(cfg: StackConfig): Promise<StatusLine[]> {
  const s = stackComponents(cfg);
  return Promise.all(s.all.map(async (c) => ({ name: c.name, up: await c.isUp(), address: c.address, pids: c.pids() })));
}

/** Resident set size in KiB of `pid` (VmRSS), 0 when gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Env for a stack that must not collide with another one: each TANDEM_*_PORT keeps its default
 * when that port is free and no other stack claims it, else gets a free port from the OS. The
 * choice is claimed for this state dir at once, so a run choosing next does not take it.
 */
export async function freePortEnv(base: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const own = loadStackConfig(base);
  const avoid = new Set<number>(claimedByOthers(own).keys());
  const out: Record<string, string> = {};
  for (const [, name, def] of portVars) {
    const wanted = base[name] ? Number(base[name]) : def;
    const port = !avoid.has(wanted) && (await portFree(wanted)) ? wanted : await osFreePort(avoid);
    avoid.add(port);
    out[name] = String(port);
  }
  writeClaim(own, loadStackConfig({ ...base, ...out }).ports);
  return out;
}

export type ComponentName = 'db-a' | 'db-b' | 'kafka' | 'registry' | 'connect';

/**
 * Stops one component of this stack (by PID, as `down` does; `kill: true` sends SIGKILL instead of
 * a graceful stop), keeps it down for `downMs`, and starts it again. Connectors are NOT restarted
 * here: whether they come back by themselves is what a fault test looks at. Resolves with how long
 * the component was down.
 */
export async function restartComponent(cfg: StackConfig, name: ComponentName, log: Log, o: { kill?: boolean; downMs?: number } = {}): Promise<number> {
  const s = stackComponents(cfg);
  const c = s.all.find((x) => x.name === name);
  if (!c) throw new Error(`no stack component ${name} (one of ${s.all.map((x) => x.name).join(', ')})`);
  const t0 = Date.now();
  if (o.kill) for (const pid of c.pids()) process.kill(pid, 'SIGKILL');
  log(`  ${name.padEnd(9)} ${o.kill ? 'SIGKILLed, ' : ''}${await c.down()}`);
  if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
  await c.up();
  const downFor = Date.now() - t0;
  log(`  ${name.padEnd(9)} up again (down ${(downFor / 1000).toFixed(1)}s)`);
  return downFor;
}

/** Restarts failed source connectors or tasks and waits until both run. */
export async function ensureConnectorsRunning(cfg: StackConfig, logFile: string): Promise<void> {
  for (const db of ['a', 'b'] as const) await registerSourceConnector(cfg, db, logFile, 180_000);
}

/** The source connectors' states (empty when Connect does not answer). */
export async function connectorStates(cfg: StackConfig): Promise<ConnectorState[]> {
  const names = new Set([sourceConnectorName('a'), sourceConnectorName('b')]);
  try {
    return (await new ConnectClient(`http://${cfg.host}:${cfg.ports.connect}`, 5000).connectors()).filter((c) => names.has(c.name));
  } catch {
    return [];
  }
}
