// The server type and version: Tandem needs MariaDB 10.6+ (tested live) or MySQL 8.0.19+ (only
// its generated SQL is tested), the sink's own rule (dialectFor).
import { dialectFor } from '../../sink';
import { ok, refused, type Finding } from '../finding';
import type { DoctorContext } from './context';

export function checkVersion(ctx: DoctorContext): Finding[] {
  return ctx.sides.map(({ server }) => {
    try {
      const dialect = dialectFor(server.version);
      return dialect.name === 'mariadb'
        ? ok('version', server.id, server.version)
        : ok('version', server.id, `MySQL ${server.version}: not yet tested live; no session server_id, so loop prevention rests on the no-op backstop (docs/loop-prevention.md)`);
    } catch (err) {
      return refused('version', server.id, err instanceof Error ? err.message : String(err), 'run MariaDB 10.6 or later (or MySQL 8.0.19 or later)');
    }
  });
}
