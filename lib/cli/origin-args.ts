// Arguments of `tandem setup` and `tandem teardown`: which databases, which tables; and the loop
// both commands run over those databases.
import { ALL_TABLES, parseTables, redactSecrets, redactUrl } from '../config';
import { syncableTables } from '../tables';
import { setting, urlFromArgv, urlFromFile } from './database-urls';

export interface OriginArgs {
  urls: string[];
  /** The tables, or `*` (TANDEM_TABLES=*): those each database can sync, read from it. */
  tables: string[] | typeof ALL_TABLES;
}

/** The usage of `tandem setup` and `tandem teardown`. */
export const originUsage = (command: string, what: string) => `usage: tandem ${command} [topology] [--url-file path]... [--url mysql://user@host:port/db]... [--tables t1,t2]
  ${what}
  on every database: TANDEM_DB_A_URL and TANDEM_DB_B_URL, or those whose URLs the files hold
  --url-file path   a file holding one URL (mysql://user:password@host:port/db); repeatable
  --url u           the URL itself, only without a password (the command line shows in \`ps\`)
  --tables t1,t2    default TANDEM_TABLES
  exit: 0 done on every database, 1 a database failed (named, password masked), 2 bad arguments`;

const INSTEAD = 'leave --url out to use TANDEM_DB_A_URL and TANDEM_DB_B_URL from the environment, or put the URL in a file and pass --url-file <path>';

/**
 * `--url <u>` (no password in it) and `--url-file <path>` (repeatable, in order), `--tables a,b`;
 * a positional topology name is accepted and ignored. Without either, TANDEM_DB_A_URL and
 * TANDEM_DB_B_URL.
 */
export function parseOriginArgs(args: string[], env: NodeJS.ProcessEnv = process.env): OriginArgs | string {
  const urls: string[] = [];
  let tablesText: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--url' || flag === '--url-file' || flag === '--tables') {
      const value = inline ?? args[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '--tables') {
        tablesText = value;
        continue;
      }
      const source = flag === '--url' ? urlFromArgv(flag, value, INSTEAD) : urlFromFile(flag, value);
      if ('error' in source) return source.error;
      urls.push(source.url);
    } else if (a.startsWith('--')) {
      return `unknown option ${a} (expected --url <mysql://user@host/db>, --url-file <path> and --tables <t1,t2>)`;
    }
  }
  if (urls.length === 0) urls.push(setting(env, 'TANDEM_DB_A_URL'), setting(env, 'TANDEM_DB_B_URL'));
  const listed = tablesText ?? setting(env, 'TANDEM_TABLES');
  if (listed.trim() === ALL_TABLES) return { urls, tables: ALL_TABLES };
  const parsed = parseTables(listed);
  if (typeof parsed === 'string') return `tables ${parsed}`;
  return { urls, tables: parsed.map((t) => t.name) };
}

/**
 * `tandem <command>`: `apply` on each database in turn, printing what it reports; exit 2 on bad
 * arguments, 1 when a database fails (named by its URL, password masked).
 */
export async function onEachDatabase(command: string, args: string[], apply: (url: string, tables: string[]) => Promise<string>): Promise<number> {
  const parsed = parseOriginArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`tandem ${command}: ${parsed}\n  (tandem ${command} --help shows the usage)\n`);
    return 2;
  }
  for (const url of parsed.urls) {
    try {
      // `*`: the tables of that database Tandem can sync (TANDEM_TABLES=*).
      const tables = parsed.tables === ALL_TABLES ? await syncableTables(url) : parsed.tables;
      process.stdout.write(`${await apply(url, tables)}\n`);
    } catch (err) {
      process.stderr.write(`tandem ${command}: ${redactUrl(url)}: ${redactSecrets(err instanceof Error ? err.message : String(err))}\n`);
      return 1;
    }
  }
  return 0;
}
