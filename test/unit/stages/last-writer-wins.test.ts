import t from 'tap';
import { lastWriterWins } from '../../../lib/stages';
import { at, changeEvent, runStage } from '../../../lib/testing';
import type { ChangeEvent, ColumnSchema } from '../../../lib/model';

const lww = lastWriterWins();
const update = (id: number, body: string, updatedAt: string, extra: { serverId?: number; pos?: number; row?: number; file?: string } = {}) =>
  changeEvent({ table: 'messages', op: 'u', after: { id, body, updated_at: at(updatedAt) }, ...extra });
const column = (name: string, sourceType?: string): ColumnSchema => ({
  name,
  type: 'string',
  optional: false,
  parameters: sourceType ? { '__debezium.source.column.type': sourceType } : {},
});
const del = (id: number, deletedAt: string, pos = 4) => changeEvent({ table: 'messages', op: 'd', before: { id }, key: { id }, deletedAt, pos });

t.test('keeps the newest change per key and counts each loser', async (t) => {
  const older = update(1, 'old', '2026-01-01 00:00:01.000001');
  const newer = update(1, 'new', '2026-01-01 00:00:01.000002');
  const other = update(2, 'other', '2026-01-01 00:00:00');
  // Newest first in the batch: order within the batch does not decide, the version does.
  const ran = await runStage(lww, [newer, other, older]);
  t.same(ran.out, [newer, other]);
  t.same(ran.counters, { conflictsResolved: 1 });
});

t.test('compares whole microseconds, not milliseconds', async (t) => {
  const a = update(1, 'a', '2026-01-01 00:00:01.000999');
  const b = update(1, 'b', '2026-01-01 00:00:01.000100');
  t.same((await runStage(lww, [a, b])).out, [a]);
});

t.test('equal timestamps: the greater content digest wins, as in the sink; a full tie keeps the earlier change', async (t) => {
  // On MariaDB, MD5(JSON_ARRAY('y')) > MD5(JSON_ARRAY('x')): y wins whatever the origin or position.
  const x = update(1, 'x', '2026-01-01 00:00:01', { serverId: 2, pos: 900 });
  const y = update(1, 'y', '2026-01-01 00:00:01', { serverId: 1, pos: 100 });
  t.same((await runStage(lww, [x, y])).out, [y]);
  t.same((await runStage(lww, [y, x])).out, [y], 'in either order');
  const first = update(1, 'same', '2026-01-01 00:00:01', { pos: 100 });
  const second = update(1, 'same', '2026-01-01 00:00:01', { pos: 200 });
  const ran = await runStage(lww, [first, second]);
  t.equal(ran.out[0], first, 'same time, same content: the first stays, as the guard leaves the row it holds');
  t.same(ran.counters, { conflictsResolved: 1 });
});

t.test("the record schema types the digest's columns: a TEXT column enters it as MD5(col)", async (t) => {
  const text = (e: ChangeEvent): ChangeEvent => ({ ...e, columns: [column('id'), column('body', 'TEXT'), column('updated_at', 'DATETIME')] });
  // On MariaDB, MD5(JSON_ARRAY(MD5('x'))) > MD5(JSON_ARRAY(MD5('y'))): as TEXT, x wins.
  const x = text(update(1, 'x', '2026-01-01 00:00:01'));
  const y = text(update(1, 'y', '2026-01-01 00:00:01'));
  t.same((await runStage(lww, [y, x])).out, [x]);
  t.same((await runStage(lww, [x, y])).out, [x]);
});

t.test('a delete takes part with its deletedAt and wins ties against an update', async (t) => {
  const up = update(1, 'x', '2026-01-01 00:00:05');
  const sameTime = del(1, '2026-01-01 00:00:05');
  t.same((await runStage(lww, [sameTime, up])).out, [sameTime], 'delete at the same time wins');
  const olderDelete = del(1, '2026-01-01 00:00:04.999999');
  t.same((await runStage(lww, [olderDelete, up])).out, [olderDelete, up], 'a newer update beats an older delete (re-insert); the delete still travels, for its tombstone');
  const oldest = del(1, '2026-01-01 00:00:01');
  t.same((await runStage(lww, [oldest, olderDelete, up])).out, [olderDelete, up], 'only the newest of the beaten deletes travels');
  const newerDelete = del(1, '2026-01-01 00:00:06');
  const ran = await runStage(lww, [up, newerDelete]);
  t.same(ran.out, [newerDelete]);
  t.same(ran.counters, { conflictsResolved: 1 });
});

t.test('same key in different tables is not a conflict', async (t) => {
  const room = changeEvent({ table: 'rooms', after: { id: 1, updated_at: at('2026-01-01 00:00:01') } });
  const msg = update(1, 'x', '2026-01-01 00:00:00');
  const ran = await runStage(lww, [room, msg]);
  t.same(ran.out, [room, msg]);
  t.same(ran.counters, {});
});

t.test('changes it cannot order are dead-lettered with the reason', async (t) => {
  const noTime = changeEvent({ table: 'messages', after: { id: 1, body: 'x' } });
  const rowDelete = changeEvent({ table: 'messages', op: 'd', before: { id: 2 } });
  const noKey = changeEvent({ table: 'messages', after: { body: 'x', updated_at: at('2026-01-01 00:00:00') }, key: {} });
  const ran = await runStage(lww, [noTime, rowDelete, noKey]);
  t.same(ran.out, []);
  t.same(ran.deadLetters.map((d) => d.reason), [
    'cannot order a change of messages: no updated_at column',
    'cannot order a change of messages: a delete without deletedAt (not carried by a tombstone)',
    'cannot order a change of messages: it has no primary key',
  ]);
});

t.test('another version column can be named', async (t) => {
  const stage = lastWriterWins({ column: 'changed_at' });
  const a = changeEvent({ table: 'rooms', after: { id: 1, changed_at: at('2026-01-01 00:00:02'), updated_at: at('2026-01-01 00:00:00') } });
  const b = changeEvent({ table: 'rooms', after: { id: 1, changed_at: at('2026-01-01 00:00:01'), updated_at: at('2026-01-01 00:00:09') } });
  t.same((await runStage(stage, [b, a])).out, [a]);
});

t.test('audits every change that is not its key final winner, beside that winner', async (t) => {
  const first = update(1, 'first', '2026-01-01 00:00:01');
  const last = update(1, 'last', '2026-01-01 00:00:03');
  const middle = update(1, 'middle', '2026-01-01 00:00:02');
  const alone = update(2, 'alone', '2026-01-01 00:00:01');
  const ran = await runStage(lww, [first, last, alone, middle]);
  t.same(ran.out, [last, alone]);
  t.equal(ran.audits.length, ran.counters.conflictsResolved, 'one audit record per collision counted');
  t.same(
    ran.audits.map((a) => [a.stage, a.table, a.key, a.winner.after?.body, a.loser.after?.body]),
    [
      ['test-node', 'messages', { id: 1 }, 'last', 'first'],
      ['test-node', 'messages', { id: 1 }, 'last', 'middle'],
    ],
  );
});

t.test('a delete beaten by a newer upsert still travels, and is audited as the loser', async (t) => {
  const olderDelete = del(1, '2026-01-01 00:00:04');
  const up = update(1, 'back', '2026-01-01 00:00:05');
  const ran = await runStage(lww, [olderDelete, up]);
  t.same(ran.out, [olderDelete, up]);
  t.equal(ran.audits.length, 1);
  t.equal(ran.audits[0].winner, up);
  t.equal(ran.audits[0].loser, olderDelete);
  t.equal(ran.audits[0].loser.deletedAt?.toJSON(), '2026-01-01 00:00:04');
});

t.test('no collision, no audit record', async (t) => {
  const ran = await runStage(lww, [update(1, 'a', '2026-01-01 00:00:01'), update(2, 'b', '2026-01-01 00:00:01')]);
  t.same(ran.audits, []);
});
