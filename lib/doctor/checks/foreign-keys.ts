// Foreign keys of a synced table. Tandem writes with foreign_key_checks=0 (the rows of one source
// transaction can arrive in any order), so a reference is only as good as the referenced table's
// own sync; and cascades are invisible to it: MariaDB does not log the rows a cascade changes
// (only the parent's event is in the binlog) and fires no trigger for them, while Tandem's delete
// of the parent on the other side cascades nothing there (foreign_key_checks=0).
import type { ForeignKeyFacts } from '../facts';
import { ok, warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

const ACTIVE = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);

/** What happens to a cascade's effects today; one place, tested in test/db/doctor/tables.test.ts. */
export const CASCADE_HANDLING =
  "the rows a cascade changes are not in the binlog and no trigger (Tandem's included) fires for them, so Tandem never sees them; on the other side Tandem applies the parent's change with foreign_key_checks=0, which cascades nothing: the referencing rows stay there as they were";

const describe = (fk: ForeignKeyFacts) => `${fk.name} (${fk.columns.join(', ')}) → ${fk.referencedTable} (${fk.referencedColumns.join(', ')})`;

export function checkForeignKeys(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const subject = tableSubject(t.spec.name);
  const synced = new Set(t.config.tables.map((s) => s.name));
  const seen = new Map<string, { fk: ForeignKeyFacts; on: string[] }>();
  for (const s of t.sides) {
    for (const fk of s.table.foreignKeys) {
      const key = `${fk.name}|${fk.onDelete}|${fk.onUpdate}|${fk.referencedTable}`;
      const entry = seen.get(key) ?? { fk, on: [] };
      entry.on.push(s.server.id);
      seen.set(key, entry);
    }
  }
  const findings: Finding[] = [];
  for (const { fk, on } of seen.values()) {
    const where = on.length < t.sides.length ? ` (on ${on.join(', ')} only)` : '';
    const rules = (
      [
        ['DELETE', fk.onDelete],
        ['UPDATE', fk.onUpdate],
      ] as const
    )
      .filter(([, rule]) => ACTIVE.has(rule))
      .map(([event, rule]) => `ON ${event} ${rule}`);
    if (rules.length > 0) {
      findings.push(
        warning(
          'foreign key',
          subject,
          `${describe(fk)} ${rules.join(' ')}${where}: ${CASCADE_HANDLING}`,
          `have the application delete or update the referencing rows of ${t.spec.name} itself before the parent (each such write then syncs like any other), and make the key ON DELETE RESTRICT (ALTER TABLE \`${t.spec.name}\` DROP FOREIGN KEY \`${fk.name}\`, ADD CONSTRAINT \`${fk.name}\` FOREIGN KEY (...) REFERENCES ... ON DELETE RESTRICT)`,
        ),
      );
    }
    if (!synced.has(fk.referencedTable)) {
      findings.push(
        warning(
          'foreign key',
          subject,
          `${describe(fk)}${where} references ${fk.referencedTable}, which Tandem does not sync: a row can reach the other side without the row it references (Tandem writes with foreign_key_checks=0), leaving a dangling reference there`,
          `add ${fk.referencedTable} to TANDEM_TABLES, or keep it identical on both sides by other means`,
        ),
      );
    }
    if (rules.length === 0 && synced.has(fk.referencedTable)) {
      findings.push(ok('foreign key', subject, `${describe(fk)} ON DELETE ${fk.onDelete}${where}: both tables are synced; Tandem writes with foreign_key_checks=0 because the rows of one transaction may arrive in any order`));
    }
  }
  return findings;
}
