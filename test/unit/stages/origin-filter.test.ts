import t from 'tap';
import { originFilter } from '../../../lib/stages';
import { changeEvent, runStage } from '../../../lib/testing';


const filter = originFilter({ replicatorServerIds: [4100] });
const row = (id: number) => ({ id, name: `r${id}` });

t.test('drops an echo of a Tandem write and counts it', async (t) => {
  const echo = changeEvent({ table: 'rooms', after: row(1), serverId: 4100 });
  const ran = await runStage(filter, [echo]);
  t.same(ran.out, []);
  t.same(ran.counters, { echoesSuppressed: 1 });
});

t.test('keeps application writes, including an update and a delete of a replicated row', async (t) => {
  // The row was last written by Tandem, but this write is the application's: its server id says so.
  const update = changeEvent({ table: 'rooms', op: 'u', before: row(1), after: { id: 1, name: 'renamed' }, serverId: 2 });
  const tombstone = changeEvent({ table: 'tandem_tombstones', op: 'c', after: { tbl: 'rooms', pk: '[1]', deleted_at: null, origin: 2 }, key: { tbl: 'rooms', pk: '[1]' }, serverId: 2 });
  const echoes = [4100, 4100].map((serverId, i) => changeEvent({ table: 'rooms', after: row(10 + i), serverId }));
  const ran = await runStage(filter, [update, echoes[0], tombstone, echoes[1]]);
  t.same(ran.out, [update, tombstone]);
  t.same(ran.counters, { echoesSuppressed: 2 });
});

t.test('several replicator ids; an empty list is refused', async (t) => {
  const two = originFilter({ replicatorServerIds: [4100, 4101] });
  const ran = await runStage(two, [4100, 4101, 7].map((serverId) => changeEvent({ table: 'rooms', after: row(serverId), serverId })));
  t.same(ran.out.map((e) => e.source.serverId), [7]);
  t.throws(() => originFilter({ replicatorServerIds: [] }), /at least one replicator server id/);
  t.equal(two.describe?.(), 'drops events written by server id 4100, 4101');
});
