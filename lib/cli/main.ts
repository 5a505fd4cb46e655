// `tandem <command> [args]` (bin/tandem): what the Makefile calls. Each command lives in its own
// module and is loaded only when asked for, so `describe` never pulls in node-rdkafka or mysql2.
// `--help` (or `-h`) anywhere prints the command's usage; exit codes: docs/cli.md.
import { redactSecrets } from '../config/redact';
import { exitOnceFinished } from './exit';

const commands: Record<string, { module: string; summary: string }> = {
  run: { module: './run', summary: 'run topologies/<name>.ts against Kafka' },
  describe: { module: './describe', summary: 'print the graph of topologies/<name>.ts (text, mermaid or json)' },
  setup: { module: './setup', summary: 'install triggers and tombstone tables for <name>' },
  teardown: { module: './teardown', summary: 'remove what setup installed' },
  verify: { module: './verify', summary: 'compare the two databases row by row; exit 1 on drift' },
  doctor: { module: './doctor', summary: 'check both databases before the first run; exit 1 on a refusal' },
  dlq: { module: './dlq', summary: 'list, show and replay dead letters' },
  stack: { module: './stack', summary: 'the local stack: up, down, status, env' },
  workload: { module: './workload', summary: 'random seeded application writes on both databases' },
};

interface CommandModule {
  usage: string;
  default: (args: string[]) => Promise<number>;
}

const overview = () =>
  [
    'usage: tandem <command> [args]   (tandem <command> --help: its usage)',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
    'exit: 0 done, 1 the command failed (or found drift, a refusal, a record dead again), 2 bad arguments',
  ].join('\n');

const isHelp = (a: string) => a === '--help' || a === '-h';

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || isHelp(name) || (name === 'help' && args.length === 0)) {
    (name === undefined ? process.stderr : process.stdout).write(`${overview()}\n`);
    return name === undefined ? 2 : 0;
  }
  const wanted = name === 'help' ? args[0] : name;
  const command = commands[wanted];
  if (!command) {
    process.stderr.write(`tandem: unknown command ${wanted}\n${overview()}\n`);
    return 2;
  }
  // require, not import(): bin/tandem loads TypeScript through tsx's CommonJS hook only (no loader thread).
  const mod = require(command.module) as CommandModule;
  if (name === 'help' || args.some(isHelp)) {
    process.stdout.write(`${mod.usage}\n`);
    return 0;
  }
  return mod.default(args);
}

if (require.main === module) {
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  main(process.argv.slice(2)).then(
    (code) => exitOnceFinished(code, warn),
    (err: unknown) => {
      // An error no command caught may be a library's, naming a URL with its password.
      warn(`tandem: ${redactSecrets(err instanceof Error ? err.message : String(err))}`);
      exitOnceFinished(1, warn);
    },
  );
}
