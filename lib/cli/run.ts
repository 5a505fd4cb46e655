// `tandem run <topology>`: validates the configuration, starts the local stack when no brokers
// are configured, loads topologies/<name>.ts (`examples/reporting`: a file in a folder of it) and
// runs it until SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config';
import { TandemError } from '../errors';
import { createLogger, type Logger } from '../observe';
import { loadTopology } from './load-topology';

const ROOT = resolve(__dirname, '..', '..');

export const usage = `usage: tandem run <topology>
  runs topologies/<topology>.ts against Kafka until SIGINT/SIGTERM (a second one forces the exit);
  starts the local stack first when TANDEM_BROKERS is not set. Settings from TANDEM_* and the
  TANDEM_CONFIG file (database URLs with their passwords: there, never on the command line)
  exit: 0 stopped cleanly, 1 a fatal error or a bad configuration, 2 bad arguments`;

/** Brokers count as configured when set in the environment or in the TANDEM_CONFIG file. */
export function brokersConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.TANDEM_BROKERS?.trim()) return true;
  const file = env.TANDEM_CONFIG?.trim();
  if (!file || !existsSync(file)) return false;
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof data === 'object' && data !== null && 'brokers' in data;
  } catch {
    return false; // loadConfig reports the broken file by name
  }
}

function stackUp(log: Logger): Promise<void> {
  log.info('no brokers configured (TANDEM_BROKERS): starting the local stack (make stack-up)');
  return new Promise((done, fail) => {
    const child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), [resolve(ROOT, 'lib/stack/cli.ts'), 'up'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`make stack-up failed (exit ${code}); see its output above`))));
  });
}

export default async function run(args: string[]): Promise<number> {
  // The live status line is cleared before each log line and redrawn on its next tick.
  const screen = { clear: () => undefined as void };
  const log = createLogger({ component: 'tandem', beforeWrite: () => screen.clear() });
  const [name, ...extra] = args;
  if (!name || name.startsWith('-') || extra.length > 0) {
    process.stderr.write(`tandem run: ${name ? `unexpected argument ${extra[0] ?? name}` : 'which topology?'}\n${usage}\n`);
    return 2;
  }
  try {
    const config = loadConfig(process.env);
    const definition = await loadTopology(name);
    if (!brokersConfigured(process.env)) await stackUp(log);
    // Loaded late: node-rdkafka and mysql2 only when actually running.
    const { launch } = require('../runtime/launch') as typeof import('../runtime/launch');
    return await launch({ definition, config, logger: log, tty: process.stderr.isTTY === true, screen, statusEveryMs: Number(process.env.TANDEM_STATUS_EVERY_MS) || undefined });
  } catch (err) {
    const hint = err instanceof TandemError ? err.context.hint : undefined;
    log.error(err instanceof Error ? err.message : String(err), hint ? { hint } : {});
    return 1;
  }
}
