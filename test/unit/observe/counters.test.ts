// Every node's counters reach the observers, whatever the stage counts; the named totals stay
// what the status line shows, and are kept per direction too.
import t from 'tap';
import { Counters } from '../../../lib/observe';

t.test('totals, per direction, and every node counter by node name', async (t) => {
  const c = new Counters();
  c.add('recordsIn', 5, 'a-to-b.source');
  c.add('recordsIn', 2);
  c.addAll({ recordsOut: 4, echoesSuppressed: 1, unknownName: 9 }, 'a-to-b.source');
  c.addNodes({ 'a-to-b.carry-deletes': { in: 5, out: 3, deadLettered: 0, rowDeletesDropped: 1, purgesDropped: 1 } });
  c.addNodes({ 'a-to-b.carry-deletes': { in: 2, out: 2, deadLettered: 0, purgesDropped: 2 } });
  t.same(c.snapshot(), { recordsIn: 7, recordsOut: 4, echoesSuppressed: 1, conflictsResolved: 0, deadLettered: 0, skipped: 0 });
  t.same(c.byDirection(), { 'a-to-b.source': { recordsIn: 5, recordsOut: 4, echoesSuppressed: 1, conflictsResolved: 0, deadLettered: 0, skipped: 0 } });
  t.same(c.byNode(), { 'a-to-b.carry-deletes': { in: 7, out: 5, deadLettered: 0, rowDeletesDropped: 1, purgesDropped: 3 } }, 'the counters no fixed list knows are kept');
});
