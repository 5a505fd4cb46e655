import t from 'tap';
import { keepRowsWhere } from '../../../lib/stages';
import { at, changeEvent, runStage } from '../../../lib/testing';

const tipped = keepRowsWhere({ messages: (row) => row.tip !== null });
const msg = (id: number, tip: number | null, updatedAt = '2026-01-01 00:00:02') => ({ id, body: 'hi', tip, updated_at: at(updatedAt) });

t.test('rows that match pass; inserts, snapshot reads and updates that never matched are dropped', async (t) => {
  const events = [
    changeEvent({ table: 'messages', after: msg(1, 5) }),
    changeEvent({ table: 'messages', after: msg(2, null) }),
    changeEvent({ table: 'messages', op: 'r', after: msg(3, null) }),
    changeEvent({ table: 'messages', op: 'u', before: msg(4, null), after: msg(4, null, '2026-01-01 00:00:03') }),
    changeEvent({ table: 'messages', op: 'u', before: msg(5, null), after: msg(5, 1, '2026-01-01 00:00:03') }),
  ];
  const ran = await runStage(tipped, events);
  t.same(ran.out, [events[0], events[4]], 'the match and the update that enters the subset');
  t.same(ran.counters, { filteredOut: 3 });
});

t.test('an update that leaves the subset becomes a delete at its updated_at', async (t) => {
  const leaving = changeEvent({ table: 'messages', op: 'u', before: msg(1, 5), after: msg(1, null, '2026-01-01 00:00:03.000001') });
  const unknown = changeEvent({ table: 'messages', op: 'u', before: null, after: msg(2, null, '2026-01-01 00:00:04') });
  const ran = await runStage(tipped, [leaving, unknown]);
  t.same(
    ran.out.map((e) => [e.op, e.key, e.before, e.after, e.deletedAt?.toString()]),
    [
      ['d', { id: 1 }, msg(1, null, '2026-01-01 00:00:03.000001'), null, '2026-01-01 00:00:03.000001'],
      ['d', { id: 2 }, msg(2, null, '2026-01-01 00:00:04'), null, '2026-01-01 00:00:04.000000'],
    ],
    'a before image that matched, or none to tell: the row may be at the target',
  );
  t.same(ran.counters, { leftAsDeletes: 2 });
  t.equal(leaving.op, 'u', 'the input event is left as it was');
});

t.test('deletes, schema changes and other tables pass; a leaving row without updated_at is a dead letter', async (t) => {
  const passing = [
    changeEvent({ table: 'messages', op: 'd', before: { id: 1 }, deletedAt: '2026-01-01 00:00:05' }),
    changeEvent({ table: 'rooms', after: { id: 1, tip: null } }),
    { ...changeEvent({ table: 'messages' }), op: 'ddl' as const },
  ];
  const undated = changeEvent({ table: 'messages', op: 'u', before: { id: 3, tip: 1 }, after: { id: 3, tip: null } });
  const ran = await runStage(tipped, [...passing, undated]);
  t.same(ran.out, passing);
  t.same(ran.deadLetters.map((d) => d.reason), ['a messages row leaves the filter but has no updated_at to date its delete']);
  t.throws(() => keepRowsWhere({}), /at least one table/);
  t.equal(tipped.describe?.(), 'messages: the rows a predicate accepts; an update that leaves them becomes a delete');
});
