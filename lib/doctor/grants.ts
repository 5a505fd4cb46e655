// Reads `SHOW GRANTS` lines into privileges per scope. Only what the privileges check needs:
// global (`*.*`) and database (`db`.*, with LIKE wildcards) grants; table and routine grants are
// left out (Tandem creates a table of its own, so it needs database-wide rights anyway).

export interface Grant {
  /** Upper case, column lists dropped; `ALL PRIVILEGES` becomes `ALL`. */
  privileges: string[];
  /** `*` for `*.*`, else the database name or LIKE pattern as written (unquoted). */
  database: string;
  /** `*` for every table of the database. */
  table: string;
}

// A name as SHOW GRANTS prints it: `back`-quoted, "double"-quoted (ANSI_QUOTES) or bare.
const NAME = String.raw`(?:\x60(?:[^\x60]|\x60\x60)*\x60|"(?:[^"]|"")*"|\*|[^\s.\x60"]+)`;
const GRANT_LINE = new RegExp(String.raw`^GRANT (.+?) ON (?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE BODY|PACKAGE) )?(${NAME})\.(${NAME}) TO `);

function unquote(name: string): string {
  if (name.startsWith('`')) return name.slice(1, -1).replace(/``/g, '`');
  if (name.startsWith('"')) return name.slice(1, -1).replace(/""/g, '"');
  return name;
}

export function parseGrant(line: string): Grant | undefined {
  const m = GRANT_LINE.exec(line);
  if (!m) return undefined; // a role grant (`GRANT role TO user`), SET DEFAULT ROLE, PROXY...
  const privileges = m[1]
    .replace(/\([^)]*\)/g, '')
    .split(',')
    .map((p) => p.trim().toUpperCase())
    .map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p));
  return { privileges, database: unquote(m[2]), table: unquote(m[3]) };
}

/** Whether a database-grant pattern covers `database` (`%`, `_`, and their `\` escapes). */
export function databaseMatches(pattern: string, database: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(database);
}

/** Privileges that hold on every table of `database`: global ones and database-wide ones. */
export function privilegesOn(grants: readonly Grant[], database: string): Set<string> {
  return new Set(grants.filter((g) => g.table === '*' && databaseMatches(g.database, database)).flatMap((g) => g.privileges));
}

/** Privileges granted on `*.*`. */
export function globalPrivileges(grants: readonly Grant[]): Set<string> {
  return new Set(grants.filter((g) => g.database === '*' && g.table === '*').flatMap((g) => g.privileges));
}

/** `'user'@'host'` from CURRENT_USER()'s `user@host` (the host is after the last @). */
export function grantee(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  const [user, host] = at < 0 ? [currentUser, '%'] : [currentUser.slice(0, at), currentUser.slice(at + 1)];
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  return `${quote(user)}@${quote(host)}`;
}
