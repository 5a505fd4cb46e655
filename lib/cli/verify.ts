// `tandem verify [--a url] [--b url] [--tables t1,t2] [--chunk-rows n] [--show n] [--wait s] [--json]`:
// compares the two databases table by table; exit 0 when identical, 1 on any difference.
import { parseTables, type TableSpec } from '../config';
import { checkTombstones, formatDiff, formatReport, waitUntilConverged } from '../verify';

const usage = `usage: tandem verify [--a mysql://...] [--b mysql://...] [--tables t1,t2] [--chunk-rows 1000] [--show 10] [--wait 0] [--json]
  defaults: TANDEM_DB_A_URL, TANDEM_DB_B_URL, TANDEM_TABLES; then tandem_tombstones, where a
  difference counts only when no newer identical row on both sides makes it irrelevant
  --wait s   re-verify until identical or s seconds passed (replication still in flight)`;

interface VerifyArgs {
  a: string;
  b: string;
  tables: string[];
  /** The synced tables (key columns), when tandem_tombstones is checked after them. */
  tombstonesOf?: TableSpec[];
  chunkRows: number;
  maxDiffs: number;
  waitS: number;
  json: boolean;
}

const flags = ['--a', '--b', '--tables', '--chunk-rows', '--show', '--wait'] as const;

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
  const tables = parseTables(v['--tables'] ?? env.TANDEM_TABLES ?? 'rooms,members:room_id+user_id,messages');
  if (typeof tables === 'string') return `--tables ${tables}`;
  const num = (flag: string, def: number, min: number) => {
    const n = Number(v[flag] ?? def);
    return Number.isInteger(n) && n >= min ? n : undefined;
  };
  const chunkRows = num('--chunk-rows', 1000, 1);
  const maxDiffs = num('--show', 10, 0);
  const waitS = num('--wait', 0, 0);
  if (chunkRows === undefined || maxDiffs === undefined || waitS === undefined) return '--chunk-rows must be ≥ 1, --show and --wait ≥ 0 (integers)';
  return {
    a: v['--a'] ?? env.TANDEM_DB_A_URL ?? 'mysql://tandem:tandem@127.0.0.1:3307/chat',
    b: v['--b'] ?? env.TANDEM_DB_B_URL ?? 'mysql://tandem:tandem@127.0.0.1:3308/chat',
    tables: tables.map((t) => t.name),
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
