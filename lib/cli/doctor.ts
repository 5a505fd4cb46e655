// `tandem doctor [--json]`: checks the two databases of Tandem's config (TANDEM_DB_A_URL,
// TANDEM_DB_B_URL, TANDEM_TABLES, TANDEM_SERVER_ID, TANDEM_GTID_DOMAIN_ID, TANDEM_CONNECT_URL)
// before the first `make run`. One line per finding; exit 0 when nothing is refused, 1 otherwise
// (a bad configuration included), 2 on a bad argument.
import { loadConfig, redactUrl } from '../config';
import { exitCode, formatFindings, runDoctor } from '../doctor';
import { withResolvedTables } from '../tables';
import { runCommand } from './command';

export const usage = `usage: tandem doctor [--json]
  checks both databases before the first run (settings from TANDEM_DB_A_URL, TANDEM_DB_B_URL,
  TANDEM_TABLES, ...; see docs/doctor.md); one line per finding, or one JSON object with --json
  exit: 0 nothing refused, 1 something refused (or a bad configuration), 2 bad arguments`;

export default function doctor(args: string[]): Promise<number> {
  const bad = args.find((a) => a !== '--json');
  return runCommand('doctor', usage, bad === undefined ? { json: args.includes('--json') } : `unknown argument ${bad}`, async ({ json }) => {
    const { config, refused } = await withResolvedTables(loadConfig());
    for (const r of refused) process.stdout.write(`table ${r.table} is not synced (TANDEM_TABLES=*): ${r.reason}\n`);
    const findings = await runDoctor(config);
    if (json) {
      process.stdout.write(`${JSON.stringify({ findings, exitCode: exitCode(findings) })}\n`);
    } else {
      const header = `tandem doctor: ${config.databases.map((d) => `${d.id} ${redactUrl(d.url)}`).join(', ')}; tables ${config.tables.map((t) => t.name).join(', ')}`;
      process.stdout.write(`${header}\n${formatFindings(findings)}\n`);
    }
    return exitCode(findings);
  });
}
