// Entry of `make stack-up | stack-down | stack-status`: `tsx lib/stack/cli.ts up|down|status|env`.
import { clientEnv, loadStackConfig } from './config';
import { ComponentError } from './component';
import { describeState, isRunning } from '../connect';
import { connectorFailureHint } from './connect';
import { connectorStates, freePortEnv, rssKiB, stackDown, stackStatus, stackUp } from './stack';

const usage = `usage: tsx lib/stack/cli.ts <command>
  up                 start (or keep) Kafka, the registry, Connect + connectors, MariaDB a and b
  down               stop what up started (by PID)
  status [--rss]     one line per component: name, up/down, address
  env [--free-ports] print export lines for TANDEM_* (ports and client URLs)`;

const log = (line: string) => process.stdout.write(`${line}\n`);
const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

async function main(argv: string[]): Promise<number> {
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
      process.stderr.write(`${usage}\n`);
      return cmd === undefined || cmd === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ComponentError) process.stderr.write(`stack: ${err.message}\n`);
    else process.stderr.write(`stack: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
