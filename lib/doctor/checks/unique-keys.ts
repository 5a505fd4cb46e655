// UNIQUE indexes besides the primary key: nothing stops a and b from giving the same unique value
// to two different keys at once. How Tandem's sink meets such a pair is said in one place,
// UNIQUE_HANDLING, tested in test/db/doctor/tables.test.ts (and the sink's behaviour in
// test/db/sink/unique-keys.test.ts).
import { ok, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

/** What the sink does when a row arrives whose unique value another key holds (docs/sink.md). */
export const UNIQUE_HANDLING =
  'handled: when two different keys claim the same value, the newer row (updated_at, then the greater key) keeps it on both sides; the older row is removed on both sides like a delete (tombstoned at its own version) and reported in the conflict audit with the index name; tables with UNIQUE indexes are written row by row';

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
    ok('unique index', tableSubject(t.spec.name), `${name} (${columns.join(', ')})${on.length < t.sides.length ? ` exists only on ${on.join(', ')}` : ''}: ${UNIQUE_HANDLING}`),
  );
}
