// `tandem stack up|down|status|env`: the local stack (lib/stack), as `make stack-up` runs it.
import { ComponentError } from '../stack/component';
import { badStackArgument, stackCommand, stackUsage } from '../stack/command';

export const usage = `${stackUsage('tandem stack')}
  exit: 0 done (status: every part and both source connectors run), 1 a part failed to start or
  stop (named, with its log), 2 bad arguments, 3 status found something down`;

export default async function stack(args: string[]): Promise<number> {
  const bad = badStackArgument(args);
  if (bad !== undefined) {
    process.stderr.write(`tandem stack: ${args.length === 0 ? 'which command?' : `unknown argument ${bad}`}\n${usage}\n`);
    return 2;
  }
  try {
    return await stackCommand(args, (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    if (!(err instanceof ComponentError)) throw err;
    process.stderr.write(`tandem stack: ${err.message}\n`);
    return 1;
  }
}
