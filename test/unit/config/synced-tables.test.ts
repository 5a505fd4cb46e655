import t from 'tap';
import { SyncedTables } from '../../../lib/config';

t.test('the live set of synced tables follows renames and drops, and remembers refusals with their reason', async (t) => {
  const s = new SyncedTables([{ name: 'rooms', primaryKey: ['id'] }]);
  t.equal(s.all, false);
  t.ok(s.has('rooms'));
  s.rename('rooms', 'halls');
  t.same([s.has('rooms'), s.spec('halls')], [false, { name: 'halls', primaryKey: ['id'] }], 'the sync follows the new name');
  t.equal(s.add({ name: 'halls', primaryKey: ['id'] }), false, 'adding it again changes nothing');
  t.equal(s.refuse('logs', 'it has no primary key'), true, 'the first refusal is news');
  t.equal(s.refuse('logs', 'it has no primary key'), false, 'the second is not');
  t.equal(s.refusal('logs'), 'it has no primary key');
  t.match(s.refusal('tandem_tombstones'), /Tandem's own table/);
  t.equal(s.add({ name: 'logs', primaryKey: ['id'] }), true, 'a table fixed later joins');
  t.equal(s.refusal('logs'), undefined);
  s.remove('halls');
  t.same(s.names(), ['logs']);
});
