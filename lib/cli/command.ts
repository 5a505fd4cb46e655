// The frame of a command: what its arguments parsed to, then its work, and the two ways it ends
// without finishing that work.
import { redactSecrets } from '../config/redact';
import { TandemError } from '../errors';

/**
 * Bad arguments (`parsed` is the message): the message and the usage, exit 2. A `TandemError`
 * from `body` (a bad setting, a part that failed): its message and hint, exit 1. Anything else
 * propagates (main.ts reports it, masked).
 */
export async function runCommand<A>(command: string, usage: string, parsed: A | string, body: (args: A) => Promise<number>): Promise<number> {
  if (typeof parsed === 'string') {
    process.stderr.write(`tandem ${command}: ${parsed}\n${usage}\n`);
    return 2;
  }
  try {
    return await body(parsed);
  } catch (err) {
    if (!(err instanceof TandemError)) throw err;
    process.stderr.write(`tandem ${command}: ${redactSecrets(err.message)}\n${err.context.hint ? `  hint: ${err.context.hint}\n` : ''}`);
    return 1;
  }
}
