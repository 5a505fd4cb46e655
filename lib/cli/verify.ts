// `tandem verify [--a url | --a-file path] [--b url | --b-file path] [--tables t1,t2] [--chunk-rows n]
// [--show n] [--wait s] [--json]`: compares the two databases table by table; exit 0 when
// identical, 1 on any difference.
import { ALL_TABLES, parseTables, type TableSpec } from '../config';
import { resolveAllTables } from '../tables';
import { checkTombstones, formatDiff, formatReport, waitUntilConverged } from '../verify';
import { setting, urlFromArgv, urlFromFile, type UrlSource } from './database-urls';

export const usage = `usage: tandem verify [--a-file path] [--b-file path] [--tables t1,t2] [--chunk-rows 1000] [--show 10] [--wait 0] [--json]
  defaults: TANDEM_DB_A_URL, TANDEM_DB_B_URL, TANDEM_TABLES; then tandem_tombstones, where a
  difference counts only when no newer identical row on both sides makes it irrelevant
  --a-file, --b-file  a file holding the URL of a or b (mysql://user:password@host:port/db)
  --a, --b            the URL itself, only without a password (the command line shows in \`ps\`)
  --wait s   re-verify until identical or s seconds passed (replication still in flight)
  exit: 0 identical, 1 the databases differ, 2 bad arguments`;

interface VerifyArgs {
  a: string;
  b: string;
  tables: string[];
  /** TANDEM_TABLES=* (no --tables): the tables are read from the databases. */
  allTables: boolean;
  /** The synced tables (key columns), when tandem_tombstones is checked after them. */
  tombstonesOf?: TableSpec[];
  chunkRows: number;
  maxDiffs: number;
  waitS: number;
  json: boolean;
}

const flags = ['--a', '--b', '--a-file', '--b-file', '--tables', '--chunk-rows', '--show', '--wait'] as const;

/** Side `a` or `b`: `--a` (no password), `--a-file`, or TANDEM_DB_A_URL. */
function sideUrl(side: 'a' | 'b', v: Record<string, string>, env: NodeJS.ProcessEnv): UrlSource {
  const name = `TANDEM_DB_${side.toUpperCase()}_URL`;
  const [inline, file] = [v[`--${side}`], v[`--${side}-file`]];
  if (inline !== undefined && file !== undefined) return { error: `give --${side} or --${side}-file, not both` };
  if (file !== undefined) return urlFromFile(`--${side}-file`, file);
  if (inline !== undefined) return urlFromArgv(`--${side}`, inline, `leave --${side} out to use ${name} from the environment, or put the URL in a file and pass --${side}-file <path>`);
  return { url: setting(env, name) };
}

export function parseVerifyArgs(args: string[], env: NodeJS.ProcessEnv): VerifyArgs | string {
  const v: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--json') json = true;
    else if ((flags as readonly string[]).includes(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) return `${flag} needs a value`;
      v[flag] = value;
    } else return `unknown argument ${arg}`;
  }
  const listed = v['--tables'] ?? setting(env, 'TANDEM_TABLES');
  const allTables = listed.trim() === ALL_TABLES;
  const tables = allTables ? [] : parseTables(listed);
  if (typeof tables === 'string') return `--tables ${tables}`;
  const num = (flag: string, def: number, min: number) => {
    const n = Number(v[flag] ?? def);
    return Number.isInteger(n) && n >= min ? n : undefined;
  };
  const chunkRows = num('--chunk-rows', 1000, 1);
  const maxDiffs = num('--show', 10, 0);
  const waitS = num('--wait', 0, 0);
  if (chunkRows === undefined || maxDiffs === undefined || waitS === undefined) return '--chunk-rows must be ≥ 1, --show and --wait ≥ 0 (integers)';
  const [a, b] = [sideUrl('a', v, env), sideUrl('b', v, env)];
  if ('error' in a) return a.error;
  if ('error' in b) return b.error;
  return {
    a: a.url,
    b: b.url,
    tables: tables.map((t) => t.name),
    allTables,
    // The tombstones are replicated state too; checked by default, not when tables are named.
    tombstonesOf: v['--tables'] === undefined ? tables : undefined,
    chunkRows,
    maxDiffs,
    waitS,
    json,
  };
}

export default async function verify(args: string[]): Promise<number> {
  const p = parseVerifyArgs(args, process.env);
  if (typeof p === 'string') {
    process.stderr.write(`tandem verify: ${p}\n${usage}\n`);
    return 2;
  }
  if (p.allTables) {
    // TANDEM_TABLES=*: the tables both sides have and Tandem can sync, read from them now.
    const resolved = await resolveAllTables({ id: 'a', url: p.a }, { id: 'b', url: p.b });
    p.tables = resolved.tables.map((t) => t.name);
    if (p.tombstonesOf) p.tombstonesOf = resolved.tables;
    for (const r of resolved.refused) process.stderr.write(`tandem verify: ${r.table} not compared (not synced: ${r.reason})\n`);
  }
  const { report, settleMs, attempts } = await waitUntilConverged({ ...p, timeoutMs: p.waitS * 1000 });
  const tomb = p.tombstonesOf ? await checkTombstones(p.a, p.b, p.tombstonesOf) : undefined;
  const ok = report.ok && (tomb?.notDominated.length ?? 0) === 0;
  if (p.json) {
    const tombstones = tomb && { differences: tomb.report.differences, dominated: tomb.dominated, notDominated: tomb.notDominated.slice(0, p.maxDiffs) };
    process.stdout.write(`${JSON.stringify({ ...report, tombstones, ok, settleMs, attempts })}\n`);
    return ok ? 0 : 1;
  }
  const lines = [formatReport(report)];
  if (tomb) {
    lines.push(`tandem_tombstones: ${tomb.report.rowsA} on a, ${tomb.report.rowsB} on b; ${tomb.report.differences} differ, ${tomb.dominated} of them dominated by a newer identical row on both sides, ${tomb.notDominated.length} not`);
    for (const d of tomb.notDominated.slice(0, p.maxDiffs)) lines.push(formatDiff(d));
  }
  lines.push(`${ok ? 'OK: identical' : 'DRIFT: the databases differ'}${attempts > 1 ? ` (after ${attempts} attempts, ${(settleMs / 1000).toFixed(1)}s)` : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return ok ? 0 : 1;
}
