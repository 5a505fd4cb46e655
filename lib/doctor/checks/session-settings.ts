// Server defaults Tandem does not depend on, because its sessions pin their own (lib/sink
// dialect): sql_mode and the isolation level. Informative; sql_mode warns about the two modes
// that change how the application's own SQL reads.
import { TANDEM_SQL_MODE } from '../../sink';
import { ok, warning, type Finding } from '../finding';
import { variable, type DoctorContext } from './context';

/** The server modes that change how the application's SQL reads, and how. */
const SURPRISING: Readonly<Record<string, string>> = {
  NO_BACKSLASH_ESCAPES: 'a backslash in a string is a plain character',
  ANSI_QUOTES: '"x" names a column instead of being a string',
};

export function checkSqlMode(ctx: DoctorContext): Finding[] {
  return ctx.sides.map(({ server }) => {
    const mode = variable(server, 'sql_mode');
    const odd = mode.toUpperCase().split(',').filter((flag) => flag in SURPRISING);
    const pinned = `Tandem's sessions pin their own (${TANDEM_SQL_MODE}), so its writes are unaffected`;
    if (odd.length === 0) return ok('sql_mode', server.id, `server default '${mode}'; ${pinned}`);
    return warning(
      'sql_mode',
      server.id,
      `server default '${mode}' has ${odd.join(' and ')}; ${pinned}, but the application's SQL is read with it (${odd.map((f) => SURPRISING[f]).join('; ')})`,
      "informative: make sure the application's SQL means the same on both servers (the same sql_mode on each)",
    );
  });
}

export function checkIsolation(ctx: DoctorContext): Finding[] {
  return ctx.sides.map(({ server }) => {
    const level = server.variables.transaction_isolation ?? variable(server, 'tx_isolation');
    return ok('isolation', server.id, `server default ${level}; Tandem's sessions pin REPEATABLE READ (the tombstone guard's locks)`);
  });
}
