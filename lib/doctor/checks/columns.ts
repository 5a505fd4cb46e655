// A synced table must exist on both sides with the same columns (names, types) in the same order:
// the sink writes the incoming row's columns by name, and the tie-break hashes the data columns in
// table order on each side (docs/loop-prevention.md §2), so a different order breaks ties apart.
// A column on one side only is what an ADD COLUMN leaves until its first row crosses, when the
// sink adds it on the other side (docs/schema-changes.md): a warning, not a refusal, so a restart
// in between still starts.
import type { CatalogRow } from '../../verify';
import { ok, refused, warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

const typeOf = (c: CatalogRow) => c.COLUMN_TYPE.toLowerCase();

export interface ColumnDifferences {
  /** Columns one side lacks, per side that has them: `only on a: x, y`. */
  oneSided: string[];
  /** Type and order differences of the columns both have. */
  conflicting: string[];
}

export function columnDifferences(a: { id: string; columns: CatalogRow[] }, b: { id: string; columns: CatalogRow[] }): ColumnDifferences {
  const [ma, mb] = [a, b].map((s) => new Map(s.columns.map((c) => [c.COLUMN_NAME, c])));
  const pairs = [
    [a, mb],
    [b, ma],
  ] as const;
  const out: ColumnDifferences = { oneSided: [], conflicting: [] };
  for (const [side, other] of pairs) {
    const only = side.columns.filter((c) => !other.has(c.COLUMN_NAME)).map((c) => c.COLUMN_NAME);
    if (only.length > 0) out.oneSided.push(`only on ${side.id}: ${only.join(', ')}`);
  }
  for (const ca of a.columns) {
    const cb = mb.get(ca.COLUMN_NAME);
    if (cb && typeOf(ca) !== typeOf(cb)) out.conflicting.push(`${ca.COLUMN_NAME} is ${typeOf(ca)} on ${a.id}, ${typeOf(cb)} on ${b.id}`);
  }
  const [orderA, orderB] = [a.columns.filter((c) => mb.has(c.COLUMN_NAME)), b.columns.filter((c) => ma.has(c.COLUMN_NAME))].map((cols) => cols.map((c) => c.COLUMN_NAME).join(', '));
  if (orderA !== orderB) out.conflicting.push(`the order differs (${a.id}: ${orderA}; ${b.id}: ${orderB})`);
  return out;
}

export function checkColumns(t: TableContext): Finding[] {
  const subject = tableSubject(t.spec.name);
  const missing = t.sides.filter((s) => !exists(s.table)).map((s) => s.server.id);
  if (missing.length === t.sides.length) return [refused('columns', subject, `exists on neither ${missing.join(' nor ')} (database ${t.sides[0]?.server.database})`, `create it on both, or remove ${t.spec.name} from TANDEM_TABLES`)];
  if (missing.length > 0) {
    const source = t.sides.find((s) => exists(s.table))?.server.id;
    return [refused('columns', subject, `missing on ${missing.join(', ')}`, `create it on ${missing.join(', ')} with the definition it has on ${source} (SHOW CREATE TABLE ${t.spec.name} there)`)];
  }
  const [a, b] = t.sides;
  const diffs = columnDifferences({ id: a.server.id, columns: a.table.columns }, { id: b.server.id, columns: b.table.columns });
  const findings: Finding[] = [];
  if (diffs.conflicting.length > 0) {
    findings.push(refused('columns', subject, diffs.conflicting.join('; '), 'make both definitions identical (ALTER TABLE ... MODIFY on one side, while Tandem is not running), then run make doctor again'));
  }
  if (diffs.oneSided.length > 0) {
    findings.push(
      warning(
        'columns',
        subject,
        `${diffs.oneSided.join('; ')}: Tandem adds such a column on the other side when the first row carrying it arrives (ADD COLUMN, docs/schema-changes.md)`,
        'nothing if this is an ADD COLUMN on its way; otherwise add the column on the other side with the same definition and position',
      ),
    );
  }
  if (findings.length > 0) return findings;
  return [ok('columns', subject, `same ${a.table.columns.length} columns (names, types, order) on ${a.server.id} and ${b.server.id}`)];
}
