// Entry of the scripts' `tsx lib/stack/cli.ts up|down|status|env` (`tandem stack` runs the same).
import { ComponentError } from './component';
import { badStackArgument, stackCommand, stackUsage } from './command';

async function main(argv: string[]): Promise<number> {
  const bad = badStackArgument(argv);
  if (bad !== undefined) {
    process.stderr.write(`${stackUsage('tsx lib/stack/cli.ts')}\n`);
    return argv.length === 0 || argv[0] === 'help' ? 0 : 2;
  }
  return stackCommand(argv, (line) => process.stdout.write(`${line}\n`));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ComponentError) process.stderr.write(`stack: ${err.message}\n`);
    else process.stderr.write(`stack: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
