// Arguments of `tandem setup` and `tandem teardown`: which databases, which tables.
import { defaultSettings, parseTables } from '../config';

export interface OriginArgs {
  urls: string[];
  tables: string[];
}

/** An environment setting, or its default from lib/config (an empty value counts as unset, as there). */
const setting = (env: NodeJS.ProcessEnv, name: string): string => env[name] || defaultSettings[name];

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
  if (urls.length === 0) urls.push(setting(env, 'TANDEM_DB_A_URL'), setting(env, 'TANDEM_DB_B_URL'));
  const parsed = parseTables(tablesText ?? setting(env, 'TANDEM_TABLES'));
  if (typeof parsed === 'string') return `tables ${parsed}`;
  return { urls, tables: parsed.map((t) => t.name) };
}
