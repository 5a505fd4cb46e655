// Last-writer-wins orders versions by updated_at in microseconds: it must be DATETIME(6) or
// TIMESTAMP(6) (with fewer digits the +1 µs Tandem's triggers add to a local write vanishes) and
// NOT NULL (a NULL version cannot be compared, so that row never converges).
import type { CatalogRow } from '../../verify';
import { UPDATED_AT } from '../../stages/version';
import { ok, refused, type Finding } from '../finding';
import { exists, perSide, tableSubject, type TableContext } from './context';

const q = (name: string) => '`' + name + '`';

function problemOf(c: CatalogRow | undefined): string | undefined {
  if (!c) return `no ${UPDATED_AT} column`;
  const type = c.DATA_TYPE.toLowerCase();
  const wrong: string[] = [];
  if (type !== 'datetime' && type !== 'timestamp') wrong.push(`${UPDATED_AT} is ${c.COLUMN_TYPE}, not DATETIME(6) or TIMESTAMP(6)`);
  else if (Number(c.DATETIME_PRECISION ?? 0) !== 6) wrong.push(`${UPDATED_AT} is ${c.COLUMN_TYPE}: the +1 µs Tandem's triggers add to a local write would be rounded away`);
  if (c.IS_NULLABLE === 'YES') wrong.push(`${UPDATED_AT} is nullable: a NULL version cannot be ordered, so last-writer-wins cannot settle that row`);
  return wrong.length > 0 ? wrong.join(', ') : undefined;
}

/** The statement that makes the column right (TIMESTAMP stays TIMESTAMP). */
export function updatedAtFix(table: string, c: CatalogRow | undefined): string {
  const t = q(table);
  const col = q(UPDATED_AT);
  if (!c) return `ALTER TABLE ${t} ADD COLUMN ${col} DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) (the application then writes NOW(6) on every change)`;
  const type = c.DATA_TYPE.toLowerCase() === 'timestamp' ? 'TIMESTAMP(6)' : 'DATETIME(6)';
  const fill = c.IS_NULLABLE === 'YES' ? `UPDATE ${t} SET ${col} = NOW(6) WHERE ${col} IS NULL; ` : '';
  return `${fill}ALTER TABLE ${t} MODIFY ${col} ${type} NOT NULL DEFAULT CURRENT_TIMESTAMP(6)`;
}

export function checkUpdatedAt(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const subject = tableSubject(t.spec.name);
  const column = (cols: CatalogRow[]) => cols.find((c) => c.COLUMN_NAME === UPDATED_AT);
  const problems = t.sides.map((s) => ({ id: s.server.id, text: problemOf(column(s.table.columns)), fix: updatedAtFix(t.spec.name, column(s.table.columns)) }));
  if (problems.every((p) => p.text === undefined)) {
    return [ok(UPDATED_AT, subject, perSide(t.sides.map((s) => ({ id: s.server.id, text: `${column(s.table.columns)?.COLUMN_TYPE} NOT NULL` }))))];
  }
  const bad = problems.filter((p) => p.text !== undefined);
  return [refused(UPDATED_AT, subject, perSide(problems), perSide(bad.map((p) => ({ id: p.id, text: p.fix }))))];
}
