// Two masters that both generate AUTO_INCREMENT values must draw them from disjoint series, or
// inserts made on a and b at once get the same key and one of the rows is lost to
// last-writer-wins. Server a generates values ≡ offset_a (mod increment_a), b ≡ offset_b (mod
// increment_b); the two series meet iff offset_a ≡ offset_b (mod gcd(increment_a, increment_b)).
import type { ServerFacts } from '../facts';
import { ok, refused, type Finding } from '../finding';
import { exists, tableSubject, variable, type TableContext } from './context';

export interface IncrementSettings {
  increment: number;
  offset: number;
}

const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));

export const incrementSettings = (s: ServerFacts): IncrementSettings => ({ increment: Number(variable(s, 'auto_increment_increment')), offset: Number(variable(s, 'auto_increment_offset')) });

/**
 * Whether the two servers' series can never produce the same value. An offset larger than its
 * increment is ignored by the server (the series it then produces is not a clean one), so it
 * counts as overlapping.
 */
export function disjointSeries(a: IncrementSettings, b: IncrementSettings): boolean {
  if (a.offset > a.increment || b.offset > b.increment) return false;
  return (a.offset - b.offset) % gcd(a.increment, b.increment) !== 0;
}

const describe = (id: string, s: IncrementSettings) => `${id} auto_increment_increment=${s.increment}, auto_increment_offset=${s.offset}`;
const firstValues = (s: IncrementSettings) => [0, 1, 2].map((k) => s.offset + k * s.increment).join(', ');

export function checkAutoIncrement(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const column = t.sides.flatMap((s) => s.table.columns).find((c) => /auto_increment/i.test(c.EXTRA ?? ''));
  if (!column) return [];
  const [a, b] = t.sides;
  const [sa, sb] = [incrementSettings(a.server), incrementSettings(b.server)];
  const subject = tableSubject(t.spec.name);
  const settings = `${describe(a.server.id, sa)}; ${describe(b.server.id, sb)}`;
  if (disjointSeries(sa, sb)) {
    return [ok('auto_increment', subject, `${column.COLUMN_NAME} is AUTO_INCREMENT and the series are disjoint (${a.server.id} ${firstValues(sa)}, …; ${b.server.id} ${firstValues(sb)}, …): ${settings}`)];
  }
  return [
    refused(
      'auto_increment',
      subject,
      `${column.COLUMN_NAME} is AUTO_INCREMENT and both servers can generate the same value (${settings}): rows inserted on ${a.server.id} and ${b.server.id} at once would share a key and one would be lost to last-writer-wins`,
      `give the servers disjoint series as native master-master does (auto_increment_increment=2 on both, auto_increment_offset=1 on ${a.server.id} and 2 on ${b.server.id}, in the servers' options and SET GLOBAL), or let the application choose the ids (Snowflake, UUID) and drop AUTO_INCREMENT`,
    ),
  ];
}
