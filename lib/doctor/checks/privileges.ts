// What the configured user must be allowed: Tandem's session setup (SET SESSION server_id and
// gtid_domain_id: SUPER or BINLOG REPLAY; tried for real, in a session thrown away), the rights on
// the database its sink, setup and schema evolution use, and creating triggers while binary
// logging is on (SUPER, unless log_bin_trust_function_creators is ON).
import { ok, refused, type Finding } from '../finding';
import { globalPrivileges, grantee, parseGrant, privilegesOn, type Grant } from '../grants';
import type { ServerFacts } from '../facts';
import { variable, type DoctorContext } from './context';

/** Writes and upserts (SELECT..DELETE), the tombstone table (CREATE, DROP), ADD COLUMN (ALTER), the triggers (TRIGGER). */
export const DATABASE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'TRIGGER'] as const;

const quoteDb = (name: string) => '`' + name.replace(/`/g, '``') + '`';

function problemsOf(server: ServerFacts, grants: Grant[]): { problem: string; fix: string }[] {
  const who = grantee(server.currentUser);
  const out: { problem: string; fix: string }[] = [];
  if (server.sessionSetupError !== undefined) {
    out.push({ problem: `Tandem's session setup (SET SESSION server_id, gtid_domain_id, ...) failed: ${server.sessionSetupError}`, fix: `GRANT BINLOG REPLAY ON *.* TO ${who} (MariaDB 10.5.2+; or SUPER)` });
  }
  const have = privilegesOn(grants, server.database);
  const missing = have.has('ALL') ? [] : DATABASE_PRIVILEGES.filter((p) => !have.has(p));
  if (missing.length > 0) {
    out.push({ problem: `${server.currentUser} lacks ${missing.join(', ')} on ${quoteDb(server.database)}`, fix: `GRANT ALL PRIVILEGES ON ${quoteDb(server.database)}.* TO ${who}` });
  }
  const global = globalPrivileges(grants);
  const binlogOn = variable(server, 'log_bin').toUpperCase() === 'ON';
  const trusted = variable(server, 'log_bin_trust_function_creators').toUpperCase() === 'ON';
  if (binlogOn && !trusted && !global.has('SUPER') && !global.has('ALL')) {
    out.push({
      problem: `creating Tandem's triggers while binary logging is on needs SUPER (log_bin_trust_function_creators is OFF)`,
      fix: `GRANT SUPER ON *.* TO ${who} (or SET GLOBAL log_bin_trust_function_creators = 1 and set it in the server's options)`,
    });
  }
  return out;
}

export function checkPrivileges(ctx: DoctorContext): Finding[] {
  return ctx.sides.map(({ server }) => {
    const grants = server.grants.map(parseGrant).filter((g): g is Grant => g !== undefined);
    const problems = problemsOf(server, grants);
    if (problems.length === 0) {
      return ok('privileges', server.id, `${server.currentUser}: Tandem's session setup works, ${DATABASE_PRIVILEGES.join(', ')} on ${quoteDb(server.database)}, may create triggers`);
    }
    return refused('privileges', server.id, problems.map((p) => p.problem).join('; '), problems.map((p) => p.fix).join('; '));
  });
}
