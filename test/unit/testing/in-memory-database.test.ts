import t from 'tap';
import { loadConfig } from '../../../lib/config';
import { tombstonePkHash, type ChangeEvent } from '../../../lib/model';
import { at, changeEvent, InMemoryDatabase } from '../../../lib/testing';

function db(nowText = '2026-01-01 00:00:10') {
  const emitted: { topic: string; event: ChangeEvent }[] = [];
  const config = loadConfig({});
  let now = at(nowText).epochMicros;
  const database = new InMemoryDatabase({
    id: 'b',
    database: 'chat',
    serverId: 2,
    tandemServerId: 4100,
    tables: config.tables,
    tombstoneTable: 'tandem_tombstones',
    now: () => now,
    emit: (topic, event) => emitted.push({ topic, event }),
  });
  return { database, emitted, setNow: (text: string) => (now = at(text).epochMicros), sink: database.sink() };
}

const routed = (e: ChangeEvent): ChangeEvent => ({ ...e, target: { table: e.source.table } });
const roomEvent = (name: string, updatedAt: string) => routed(changeEvent({ table: 'rooms', after: { id: 1, name, updated_at: at(updatedAt) } }));

t.test('application writes carry the server id and emit Debezium-like events', async (t) => {
  const { database, emitted } = db();
  database.insert('rooms', { id: 1, name: 'x' });
  t.equal(String(database.row('rooms', { id: 1 })?.updated_at), '2026-01-01 00:00:10.000000', 'updated_at defaults to NOW(6)');
  database.update('rooms', { id: 1, name: 'x', updated_at: database.row('rooms', { id: 1 })?.updated_at ?? null });
  t.equal(emitted.length, 1, 'an update that changes nothing emits nothing');
  database.update('rooms', { id: 99, name: 'nobody' });
  t.equal(emitted.length, 1, 'an update of a missing row emits nothing');
  const [c] = emitted;
  t.equal(c.topic, 'b.chat.rooms');
  t.same([c.event.op, c.event.source.serverId, c.event.source.name, c.event.source.table, c.event.key], ['c', 2, 'b', 'rooms', { id: 1 }]);
  t.throws(() => database.insert('rooms', { id: 1, name: 'again' }), /duplicate key rooms\/id=1 in b\.rooms/);
  t.throws(() => database.insert('rooms', { name: 'no key' }), /key column\(s\) id missing/);
  t.throws(() => database.insert('users', { id: 1 }), /has no table users/);
});

t.test('BEFORE UPDATE: a data change never goes back in time', async (t) => {
  const { database, emitted } = db();
  database.insert('rooms', { id: 1, name: 'x', updated_at: at('2026-01-01 00:00:20') });
  database.update('rooms', { id: 1, name: 'y', updated_at: at('2026-01-01 00:00:15') });
  t.equal(String(database.row('rooms', { id: 1 })?.updated_at), '2026-01-01 00:00:20.000001');
  t.equal(emitted.length, 2);
});

t.test('BEFORE DELETE writes the tombstone first; BEFORE INSERT re-births after it', async (t) => {
  const { database, emitted } = db();
  database.insert('members', { room_id: 1, user_id: 2, nickname: 'n', updated_at: at('2026-01-01 00:00:30') });
  database.delete('members', { room_id: 1, user_id: 2 });
  t.same(emitted.map((e) => [e.topic, e.event.op, e.event.source.serverId]), [
    ['b.chat.members', 'c', 2],
    ['b.chat.tandem_tombstones', 'c', 2],
    ['b.chat.members', 'd', 2],
  ]);
  const tomb = emitted[1].event;
  t.same(tomb.key, { tbl: 'members', pk_hash: tombstonePkHash('[1, 2]') }, 'keyed by the digest of the key text, as tandem_tombstones is');
  t.equal(tomb.after?.pk, '[1, 2]');
  t.equal(String(tomb.after?.deleted_at), '2026-01-01 00:00:30.000001', 'newer than the row it removes, though NOW(6) is earlier');
  t.equal(tomb.after?.origin, 2);
  database.insert('members', { room_id: 1, user_id: 2, nickname: 'back', updated_at: at('2026-01-01 00:00:11') });
  t.equal(String(database.row('members', { room_id: 1, user_id: 2 })?.updated_at), '2026-01-01 00:00:30.000002');
});

t.test('the sink: guarded upserts and deletes, Tandem’s server id, no-ops emit nothing', async (t) => {
  const { database, emitted, sink } = db();
  t.same(await sink.write([roomEvent('x', '2026-01-01 00:00:01')]), { applied: 1, skipped: 0, deadLetters: [], tables: { rooms: { applied: 1, skipped: 0 } } });
  t.same(emitted.map((e) => [e.event.op, e.event.source.serverId]), [['c', 4100]]);
  t.same(await sink.write([roomEvent('x', '2026-01-01 00:00:01')]), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } }, 'the same version again');
  t.same(await sink.write([roomEvent('older', '2026-01-01 00:00:00')]), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } });
  const del = routed(changeEvent({ table: 'rooms', op: 'd', before: { id: 1 }, deletedAt: '2026-01-01 00:00:05', serverId: 1 }));
  t.same(await sink.write([del]), { applied: 1, skipped: 0, deadLetters: [], tables: { rooms: { applied: 1, skipped: 0 } } });
  t.same(database.rows('rooms'), []);
  t.same(database.tombstone('rooms', { id: 1 }), { deletedAt: at('2026-01-01 00:00:05'), origin: 1 });
  t.same(emitted.slice(1).map((e) => [e.topic, e.event.op, e.event.source.serverId]), [['b.chat.tandem_tombstones', 'c', 4100], ['b.chat.rooms', 'd', 4100]]);
  t.same(await sink.write([del]), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } }, 'a repeated delete is a no-op');
  t.same(await sink.write([roomEvent('stale', '2026-01-01 00:00:05')]), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } }, 'the tombstone wins ties');
  t.same(await sink.write([roomEvent('newer', '2026-01-01 00:00:05.000001')]), { applied: 1, skipped: 0, deadLetters: [], tables: { rooms: { applied: 1, skipped: 0 } } });
  const older = routed(changeEvent({ table: 'rooms', op: 'd', before: { id: 1 }, deletedAt: '2026-01-01 00:00:04' }));
  t.same(await sink.write([older]), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } }, 'an older delete neither moves the tombstone nor removes the newer row');
  t.equal(database.rows('rooms').length, 1);
});

t.test('the sink refuses what it cannot apply, by reason', async (t) => {
  const { sink } = db();
  const result = await sink.write([
    changeEvent({ table: 'rooms', after: { id: 1, updated_at: at('2026-01-01 00:00:01') } }),
    routed(changeEvent({ table: 'users', after: { id: 1, updated_at: at('2026-01-01 00:00:01') } })),
    routed(changeEvent({ table: 'rooms', op: 'd', before: { id: 1 } })),
    routed(changeEvent({ table: 'rooms', after: { id: 1 } })),
  ]);
  t.same(result.deadLetters.map((d) => [d.stage, d.reason]), [
    ['mysql-b', 'no target table: the topology has no route stage before this sink'],
    ['mysql-b', 'table users does not exist in database b'],
    ['mysql-b', 'delete of rooms without deletedAt cannot be ordered'],
    ['mysql-b', 'change of rooms has no updated_at'],
  ]);
  t.equal(result.applied + result.skipped, 0);
});
