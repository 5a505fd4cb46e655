// `tandem teardown [topology] [--url mysql://user@host/db | --url-file path]... [--tables a,b]`:
// removes what setup installed. The databases default to TANDEM_DB_A_URL and TANDEM_DB_B_URL.
import { redactUrl, uninstallOriginSupport } from '../sink';
import { originUsage, onEachDatabase } from './origin-args';

export const usage = originUsage('teardown', 'removes what tandem setup installed (the triggers and tandem_tombstones)');

export default function teardown(args: string[]): Promise<number> {
  return onEachDatabase('teardown', args, async (url, tables) => {
    const { tombstonesKeptFor } = await uninstallOriginSupport(url, tables);
    const tombstones = tombstonesKeptFor.length === 0 ? ' and tandem_tombstones' : ` (tandem_tombstones kept: the triggers of ${tombstonesKeptFor.join(', ')} still write to it)`;
    return `removed Tandem triggers for ${tables.join(', ')}${tombstones} on ${redactUrl(url)}`;
  });
}
