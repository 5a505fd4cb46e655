// `tandem setup [topology] [--url mysql://...]... [--tables a,b]`: installs the tombstone table
// and the triggers on every database (idempotent; re-run after adding a column).
import { installOriginSupport, redactUrl } from '../sink';
import { parseOriginArgs } from './origin-args';

export default async function setup(args: string[]): Promise<number> {
  const parsed = parseOriginArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`tandem setup: ${parsed}\n`);
    return 2;
  }
  for (const url of parsed.urls) {
    await installOriginSupport(url, parsed.tables);
    process.stdout.write(`installed tandem_tombstones and triggers for ${parsed.tables.join(', ')} on ${redactUrl(url)}\n`);
  }
  return 0;
}
