// Where the CLI commands read database URLs from: the environment (TANDEM_DB_A_URL and
// TANDEM_DB_B_URL, as the rest of Tandem), a file, or the command line, but not a password on the
// command line: every user of the machine reads a process's arguments in `ps`.
import { readFileSync } from 'node:fs';
import { carriesSecret, defaultSettings } from '../config';

export type UrlSource = { url: string } | { error: string };

/** An environment setting, or its default from lib/config (an empty value counts as unset, as there). */
export const setting = (env: NodeJS.ProcessEnv, name: string): string => env[name] || defaultSettings[name];

/**
 * A URL given as `flag` on the command line: refused when it carries a password, saying how to pass
 * it instead. The error never repeats the URL (it is already in `ps`; it need not be in logs too).
 */
export function urlFromArgv(flag: string, value: string, instead: string): UrlSource {
  if (carriesSecret(value)) return { error: `${flag} carries a password, which any user of this machine can read in \`ps\`: ${instead}` };
  return { url: value };
}

/** A URL read from the file `path` (given as `flag`): its one non-empty line. */
export function urlFromFile(flag: string, path: string): UrlSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { error: `${flag} ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // Its content is not echoed: it holds a password.
  if (lines.length !== 1) return { error: `${flag} ${path} must hold one URL (mysql://user:password@host:port/database) on one line, has ${lines.length} lines` };
  return { url: lines[0] };
}
