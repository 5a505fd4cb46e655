// UNIQUE indexes besides the primary key: nothing stops a and b from giving the same unique value
// to two different keys at once. How Tandem's sink meets such a pair today is said in one place,
// UNIQUE_HANDLING, tested in test/db/doctor/tables.test.ts.
import { warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

/**
 * What happens today when a row arrives whose unique value another key holds on the target: the
 * sink's INSERT ... ON DUPLICATE KEY UPDATE meets the duplicate on the unique index, so it updates
 * the row holding the value (last-writer-wins between the two versions); the arriving key is not
 * inserted there. Nothing is dead-lettered or audited; `make verify` shows the difference.
 */
export const UNIQUE_HANDLING =
  'when two different keys claim the same value, the row arriving on the other side is merged into the row holding the value there (the newer of the two versions wins, under the other key); the arriving key is not created on that side, nothing is dead-lettered or audited, and the two sides differ until fixed by hand (make verify shows it)';

export const UNIQUE_FIX = 'make unique values impossible to claim on both sides at once (derive them from the key, or let one side own them), or make the column part of the primary key; run make verify after a suspected collision';

export function checkUniqueKeys(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const names = new Map<string, { columns: string[]; on: string[] }>();
  for (const s of t.sides) {
    for (const index of s.table.uniqueIndexes) {
      const entry = names.get(index.name) ?? { columns: index.columns, on: [] };
      entry.on.push(s.server.id);
      names.set(index.name, entry);
    }
  }
  return [...names].map(([name, { columns, on }]) =>
    warning('unique index', tableSubject(t.spec.name), `${name} (${columns.join(', ')})${on.length < t.sides.length ? ` exists only on ${on.join(', ')}` : ''}: ${UNIQUE_HANDLING}`, UNIQUE_FIX),
  );
}
