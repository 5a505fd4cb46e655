// `tandem <command> [args]`: what the Makefile calls. Each command lives in its own module and
// is loaded only when asked for, so `describe` never pulls in node-rdkafka or mysql2.
import { redactSecrets } from '../config/redact';

const commands: Record<string, { module: string; summary: string }> = {
  run: { module: './run', summary: 'run topologies/<name>.ts against Kafka' },
  describe: { module: './describe', summary: 'print the graph of topologies/<name>.ts' },
  setup: { module: './setup', summary: 'install triggers and tombstone tables for <name>' },
  teardown: { module: './teardown', summary: 'remove what setup installed' },
  verify: { module: './verify', summary: 'compare the two databases row by row; exit 1 on drift' },
  workload: { module: './workload', summary: 'random seeded application writes on both databases' },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const list = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
    process.stderr.write(`usage: tandem <command> [args]\n${list.join('\n')}\n`);
    return 2;
  }
  const mod = (await import(command.module)) as { default: (args: string[]) => Promise<number> };
  return mod.default(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // An error no command caught may be a library's, naming a URL with its password.
    process.stderr.write(`tandem: ${redactSecrets(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 1;
  },
);
