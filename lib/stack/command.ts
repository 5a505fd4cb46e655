// `up|down|status|env` of the local stack: what `tandem stack ...` and `tsx lib/stack/cli.ts ...`
// (the scripts' entry) both run. Exit 0 on success, 2 on a bad argument, 3 when `status` finds a
// part down or a source connector not running.
import { clientEnv, loadStackConfig } from './config';
import { describeState, isRunning } from '../connect';
import { connectorFailureHint } from './connect';
import { connectorStates, freePortEnv, rssKiB, stackDown, stackStatus, stackUp } from './stack';

export const stackUsage = (program: string) => `usage: ${program} <command>
  up                 start (or keep) Kafka, the registry, Connect + connectors, MariaDB a and b
  down               stop what up started (by PID)
  status [--rss]     one line per component: name, up/down, address; exit 3 unless all run
  env [--free-ports] print export lines for TANDEM_* (ports and client URLs)
  state dir: TANDEM_STATE_DIR (default ~/.cache/tandem/state); ports: TANDEM_*_PORT`;

const allowed: Record<string, string[]> = { up: [], down: [], status: ['--rss'], env: ['--free-ports'] };

/** The first argument `cmd` does not take, or undefined: `cmd` itself when it is not a command. */
export function badStackArgument(argv: readonly string[]): string | undefined {
  const [cmd, ...flags] = argv;
  if (cmd === undefined || !(cmd in allowed)) return cmd ?? '(none)';
  return flags.find((f) => !allowed[cmd].includes(f));
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** Runs one stack command (arguments checked with `badStackArgument` first); resolves with its exit code. */
export async function stackCommand(argv: readonly string[], log: (line: string) => void): Promise<number> {
  const [cmd, ...flags] = argv;
  switch (cmd) {
    case 'up': {
      const cfg = loadStackConfig();
      log(`stack up: state ${cfg.stateDir}`);
      await stackUp(cfg, log);
      return 0;
    }
    case 'down': {
      const cfg = loadStackConfig();
      log(`stack down: state ${cfg.stateDir}`);
      await stackDown(cfg, log);
      return 0;
    }
    case 'status': {
      const cfg = loadStackConfig();
      const lines = await stackStatus(cfg);
      let total = 0;
      for (const l of lines) {
        const rss = l.pids.reduce((sum, pid) => sum + rssKiB(pid), 0);
        total += rss;
        const extra = flags.includes('--rss') ? `  pids ${l.pids.join(',') || '-'}  rss ${(rss / 1024).toFixed(0)} MiB` : '';
        log(`${l.name.padEnd(9)} ${l.up ? 'up  ' : 'down'}  ${l.address}${extra}`);
      }
      if (flags.includes('--rss')) log(`total rss ${(total / 1024).toFixed(0)} MiB`);
      // The source connectors: a FAILED one stops a direction without stopping any process.
      const connect = lines.find((l) => l.name === 'connect');
      const connectors = connect?.up ? await connectorStates(cfg) : [];
      for (const c of connectors) log(`connector ${describeState(c)}`);
      const failed = connectors.filter((c) => !isRunning(c));
      if (failed.length > 0) log(connectorFailureHint);
      return lines.every((l) => l.up) && failed.length === 0 && (!connect?.up || connectors.length === 2) ? 0 : 3;
    }
    case 'env': {
      const ports = flags.includes('--free-ports') ? await freePortEnv(process.env) : {};
      const cfg = loadStackConfig({ ...process.env, ...ports });
      for (const [k, v] of Object.entries({ ...ports, ...clientEnv(cfg) })) log(`export ${k}=${shellQuote(v)}`);
      return 0;
    }
    default:
      throw new RangeError(`stackCommand: unknown command ${String(cmd)} (check it with badStackArgument first)`);
  }
}
