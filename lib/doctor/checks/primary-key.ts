// Tandem keys every row, tombstone and conflict by the primary key; the key TANDEM_TABLES names
// (`table:col+col`, `id` when none is given) is the one deletes are carried with, so it must be
// the table's primary key on both sides.
import { ok, refused, type Finding } from '../finding';
import { exists, perSide, tableSubject, type TableContext } from './context';

const quote = (name: string) => '`' + name + '`';

export function checkPrimaryKey(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const subject = tableSubject(t.spec.name);
  const wanted = t.spec.primaryKey.join(', ');
  const problems = t.sides.map((s) => ({
    id: s.server.id,
    text: s.table.primaryKey.length === 0 ? 'no primary key' : s.table.primaryKey.join(', ') !== wanted ? `primary key (${s.table.primaryKey.join(', ')})` : undefined,
  }));
  if (problems.every((p) => p.text === undefined)) return [ok('primary key', subject, `(${wanted}) on both, as TANDEM_TABLES says`)];
  const noKey = t.sides.filter((s) => s.table.primaryKey.length === 0).map((s) => s.server.id);
  const actual = t.sides.find((s) => s.table.primaryKey.length > 0)?.table.primaryKey;
  const fix =
    noKey.length > 0
      ? `ALTER TABLE ${quote(t.spec.name)} ADD PRIMARY KEY (${t.spec.primaryKey.map(quote).join(', ')}) on ${noKey.join(' and ')}`
      : `set TANDEM_TABLES to list it as ${t.spec.name}:${(actual ?? []).join('+')}, or give both sides the primary key (${wanted})`;
  return [refused('primary key', subject, `${perSide(problems)}; TANDEM_TABLES expects (${wanted})${t.spec.primaryKey.join() === 'id' ? ' (the default when no :col+col is given)' : ''}`, fix)];
}
