// Arguments of `tandem setup` and `tandem teardown`: which databases, which tables.
import { parseTables } from '../config';

export interface OriginArgs {
  urls: string[];
  tables: string[];
}

const DEFAULT_A = 'mysql://tandem:tandem@127.0.0.1:3307/chat';
const DEFAULT_B = 'mysql://tandem:tandem@127.0.0.1:3308/chat';
const DEFAULT_TABLES = 'rooms,members,messages';

/** `--url <u>` (repeatable), `--tables a,b`; a positional topology name is accepted and ignored. */
export function parseOriginArgs(args: string[], env: NodeJS.ProcessEnv = process.env): OriginArgs | string {
  const urls: string[] = [];
  let tablesText: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--url' || flag === '--tables') {
      const value = inline ?? args[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '--url') urls.push(value);
      else tablesText = value;
    } else if (a.startsWith('--')) {
      return `unknown option ${a} (expected --url <mysql://...> and --tables <t1,t2>)`;
    }
  }
  if (urls.length === 0) urls.push(env.TANDEM_DB_A_URL ?? DEFAULT_A, env.TANDEM_DB_B_URL ?? DEFAULT_B);
  const parsed = parseTables(tablesText ?? env.TANDEM_TABLES ?? DEFAULT_TABLES);
  if (typeof parsed === 'string') return `tables ${parsed}`;
  return { urls, tables: parsed.map((t) => t.name) };
}
