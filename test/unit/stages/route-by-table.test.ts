import t from 'tap';
import { SyncedTables } from '../../../lib/config';
import { routeByTable, sameTables } from '../../../lib/stages';
import type { ChangeEvent } from '../../../lib/model';
import { at, changeEvent, runStage } from '../../../lib/testing';

t.test('routes to the target table, renaming and dropping columns in every image and the key', async (t) => {
  const stage = routeByTable({ routes: { messages: { table: 'chat_messages', rename: { id: 'message_id', body: 'text' }, drop: ['meta'] } } });
  const input = changeEvent({ table: 'messages', op: 'u', before: { id: 1, body: 'a', meta: null }, after: { id: 1, body: 'b', meta: null } });
  const ran = await runStage(stage, [input]);
  t.same(ran.out[0].target, { table: 'chat_messages' });
  t.same(ran.out[0].after, { message_id: 1, text: 'b' });
  t.same(ran.out[0].before, { message_id: 1, text: 'a' });
  t.same(ran.out[0].key, { message_id: 1 });
  t.same(input.after, { id: 1, body: 'b', meta: null }, 'the input event is not changed');
  t.equal(input.target, undefined);
});

t.test('a routed event keeps every field of the event it was made from', async (t) => {
  // The route builds its copy field by field (routedTo): a field it forgot would vanish here.
  const base = changeEvent({ table: 'messages', op: 'd', before: { id: 7, body: 'x' }, deletedAt: '2026-01-01 00:00:01.000002' });
  const full: ChangeEvent = {
    ...base,
    kafka: { topic: 'a.chat.messages', partition: 2, offset: '41', timestamp: 5 },
    headers: { h: 'v' },
    columns: [{ name: 'id', type: 'long', optional: false, parameters: {} }],
    ddl: { statement: 'ALTER TABLE messages ADD c INT', database: 'chat', tables: [] },
  };
  for (const routes of [{ messages: true as const }, { messages: { rename: { body: 'text' } } }]) {
    const [out] = (await runStage(routeByTable({ routes }), [full])).out;
    const { target, before, after, key, ...rest } = out;
    const { before: b, after: a, key: k, ...expected } = full;
    t.strictSame(rest, expected, `every other field as it was (${JSON.stringify(routes)})`);
    t.same(target, { table: 'messages' });
    t.same([before, after, key], routes.messages === true ? [b, a, k] : [{ id: 7, text: 'x' }, null, { id: 7 }]);
  }
});

t.test('a table with no route goes to the dead letters with a reason; ignored tables are counted', async (t) => {
  const stage = routeByTable({ routes: { rooms: true, messages: 'messages' }, ignore: ['audit'] });
  const unknown = changeEvent({ table: 'users', after: { id: 1 } });
  const ignored = changeEvent({ table: 'audit', after: { id: 1 } });
  const room = changeEvent({ table: 'rooms', after: { id: 1, updated_at: at('2026-01-01 00:00:00') } });
  const ran = await runStage(stage, [unknown, ignored, room]);
  t.same(ran.out.map((e) => e.target), [{ table: 'rooms' }]);
  t.same(ran.deadLetters, [{ event: unknown, reason: 'no route for table "users" (routed: rooms, messages)' }]);
  t.same(ran.counters, { ignored: 1 });
});

t.test('deletes keep their time and key through the route', async (t) => {
  const stage = routeByTable({ routes: sameTables([{ name: 'messages' }]) });
  const del = changeEvent({ table: 'messages', op: 'd', before: { id: 5 }, key: { id: 5 }, deletedAt: '2026-01-01 00:00:03' });
  const ran = await runStage(stage, [del]);
  t.equal(ran.out[0].deletedAt?.toString(), '2026-01-01 00:00:03');
  t.same(ran.out[0].key, { id: 5 });
  t.same(ran.out[0].target, { table: 'messages' });
});

t.test('bad routes are refused when the stage is built', async (t) => {
  t.throws(() => routeByTable({ routes: { a: true }, ignore: ['a'] }), /a both routed and ignored/);
  t.throws(() => routeByTable({ routes: { a: { rename: { x: 'z', y: 'z' } } } }), /two columns are renamed to the same name/);
});

t.test('a live set of tables: synced tables route to themselves; under * a table not synced yet goes to the sink, one that cannot be synced is dropped', async (t) => {
  const tables = new SyncedTables([{ name: 'rooms', primaryKey: ['id'] }], true);
  const stage = routeByTable({ routes: {}, same: tables });
  const room = changeEvent({ table: 'rooms', after: { id: 1 } });
  t.same((await runStage(stage, [room])).out.map((e) => e.target), [{ table: 'rooms' }]);
  const fresh = changeEvent({ table: 'fresh', after: { id: 1 } });
  t.same((await runStage(stage, [fresh])).out.map((e) => e.target), [{ table: 'fresh' }], 'the sink decides at its first row whether it joins or waits');
  tables.refuse('nokey', 'it has no primary key');
  const nokey = changeEvent({ table: 'nokey', after: { x: 1 } });
  const dropped = await runStage(stage, [nokey]);
  t.same([dropped.out, dropped.deadLetters, dropped.counters], [[], [], { tablesNotSynced: 1 }]);
  tables.rename('rooms', 'halls');
  const moved = await runStage(routeByTable({ routes: {}, same: new SyncedTables(tables.list(), false) }), [changeEvent({ table: 'rooms', after: { id: 1 } })]);
  t.match(moved.deadLetters[0]?.reason, /no route for table "rooms"/, 'under an explicit list, an unknown table is a dead letter as before');
});
