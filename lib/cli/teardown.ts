// `tandem teardown [topology] [--url mysql://...]... [--tables a,b]`: removes what setup installed.
import { redactUrl, uninstallOriginSupport } from '../sink';
import { parseOriginArgs } from './origin-args';

export default async function teardown(args: string[]): Promise<number> {
  const parsed = parseOriginArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`tandem teardown: ${parsed}\n`);
    return 2;
  }
  for (const url of parsed.urls) {
    await uninstallOriginSupport(url, parsed.tables);
    process.stdout.write(`removed Tandem triggers for ${parsed.tables.join(', ')} and tandem_tombstones on ${redactUrl(url)}\n`);
  }
  return 0;
}
