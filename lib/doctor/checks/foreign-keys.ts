// Foreign keys of a synced table. Tandem writes with foreign_key_checks=0 (the rows of one source
// transaction can arrive in any order), so a reference is only as good as the referenced table's
// own sync. InnoDB's cascades are not in the binlog and fire no trigger; Tandem's BEFORE DELETE
// trigger on the referenced table does ON DELETE CASCADE / SET NULL itself first, as statements
// of the application's transaction, so they replicate (docs/loop-prevention.md). What it cannot
// do: a key referencing its own table (a trigger cannot change its own table), ON UPDATE actions,
// SET DEFAULT.
import type { ForeignKeyFacts } from '../facts';
import { ok, warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

const ACTIVE = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);

/** What happens to ON DELETE CASCADE / SET NULL; tested in test/db/doctor/tables.test.ts and test/db/sink/triggers.test.ts. */
export const CASCADE_HANDLING =
  "handled: InnoDB's cascade is not in the binlog, so Tandem's BEFORE DELETE trigger on the referenced table deletes (or sets NULL in) the referencing rows itself first; those changes are binlogged, tombstoned and replicate like the application's own";

/** What happens to the actions the triggers cannot make explicit. */
export const UNHANDLED_CASCADE =
  "the rows such an action changes are not in the binlog and no trigger fires for them, so Tandem never sees them, and on the other side Tandem's write cascades nothing (foreign_key_checks=0): the referencing rows differ"; 

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
    const selfReference = fk.referencedTable === t.spec.name;
    // The triggers that do it live on the referenced table, so it must be synced too.
    const handled = ACTIVE.has(fk.onDelete) && fk.onDelete !== 'SET DEFAULT' && !selfReference && synced.has(fk.referencedTable);
    if (handled) findings.push(ok('foreign key', subject, `${describe(fk)} ON DELETE ${fk.onDelete}${where}: ${CASCADE_HANDLING}`));
    const rules = (
      [
        ['DELETE', handled ? 'NO ACTION' : fk.onDelete],
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
          `${describe(fk)} ${rules.join(' ')}${where}${selfReference ? ' (references its own table)' : ''}: ${UNHANDLED_CASCADE}`,
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
    if (rules.length === 0 && !handled && synced.has(fk.referencedTable)) {
      findings.push(ok('foreign key', subject, `${describe(fk)} ON DELETE ${fk.onDelete}${where}: both tables are synced; Tandem writes with foreign_key_checks=0 because the rows of one transaction may arrive in any order`));
    }
  }
  return findings;
}
