// `tandem setup [topology] [--url mysql://user@host/db | --url-file path]... [--tables a,b]`:
// installs the tombstone table and the triggers on every database (idempotent; re-run after adding
// a column). The databases default to TANDEM_DB_A_URL and TANDEM_DB_B_URL.
import { installOriginSupport, redactUrl } from '../sink';
import { originUsage, onEachDatabase } from './origin-args';

export const usage = originUsage('setup', 'installs the tombstone table and the triggers loop prevention needs (idempotent; run again after adding a column)');

export default function setup(args: string[]): Promise<number> {
  return onEachDatabase('setup', args, async (url, tables) => {
    await installOriginSupport(url, tables);
    return `installed tandem_tombstones and triggers for ${tables.join(', ')} on ${redactUrl(url)}`;
  });
}
