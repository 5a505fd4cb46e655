import t from 'tap';
import reporting from '../../../../topologies/examples/reporting';
import { loadConfig } from '../../../../lib/config';
import { Decimal, type Row } from '../../../../lib/model';
import { at, TopologyTestDriver } from '../../../../lib/testing';

// topologies/examples/reporting.ts on the test driver (quoted in docs/writing-topologies.md):
// application writes on the in-memory database `a`, the rows the reporting database `b` ends with.

function setup() {
  // The settings `make run` gets in the guide: the sink writes rooms and messages only.
  const driver = new TopologyTestDriver(reporting, { config: loadConfig({ TANDEM_TABLES: 'rooms,messages' }) });
  return { driver, a: driver.database('a'), b: driver.database('b') };
}

const room = { id: 1, name: 'general', topic: null, is_private: 0, updated_at: at('2026-01-01 00:00:01') };
const message = (id: number, body: string, tip: Decimal | null, updatedAt: string): Row => ({
  id, room_id: 1, author_id: 7, body, meta: '{"client":"web"}', tip, sent_at: at('2026-01-01 00:00:01'), edited_at: null, updated_at: at(updatedAt),
});
/** The same message as the reporting database holds it: `body` is `text`, no `meta`. */
const reported = (id: number, text: string, tip: Decimal, updatedAt: string): Row => ({
  id, room_id: 1, author_id: 7, text, tip, sent_at: at('2026-01-01 00:00:01'), edited_at: null, updated_at: at(updatedAt),
});

t.test('rooms cross as they are; a tipped message crosses with body renamed to text and no meta', async (t) => {
  const { driver, a, b } = setup();
  a.insert('rooms', room);
  a.insert('messages', message(10, 'thanks!', Decimal.parse('2.5000'), '2026-01-01 00:00:02'));
  await driver.settle();
  t.same(b.rows('rooms'), [room]);
  t.same(b.rows('messages'), [reported(10, 'thanks!', Decimal.parse('2.5000'), '2026-01-01 00:00:02')]);
  t.same(driver.deadLetters, []);
});

t.test('messages without a tip stay out until they get one, and leave when it is taken back', async (t) => {
  const { driver, a, b } = setup();
  a.insert('messages', message(10, 'hello', null, '2026-01-01 00:00:02'));
  a.insert('messages', message(11, 'tip for you', Decimal.parse('1.0000'), '2026-01-01 00:00:02'));
  await driver.settle();
  t.same(b.rows('messages').map((r) => r.id), [11]);
  t.same(driver.counters['tipped-messages'], { in: 2, out: 1, deadLettered: 0, filteredOut: 1 });
  a.update('messages', { id: 10, tip: Decimal.parse('0.5000'), updated_at: at('2026-01-01 00:00:03') });
  await driver.settle();
  t.same(b.rows('messages').map((r) => [r.id, r.text, r.tip]), [
    [10, 'hello', Decimal.parse('0.5000')],
    [11, 'tip for you', Decimal.parse('1.0000')],
  ]);
  a.update('messages', { id: 11, tip: null, updated_at: at('2026-01-01 00:00:04') });
  await driver.settle();
  t.same(b.rows('messages').map((r) => r.id), [10], 'a row that stops matching is deleted on the reporting side');
  t.equal(b.tombstone('messages', { id: 11 })?.deletedAt.toString(), '2026-01-01 00:00:04.000000', 'at the time of the update');
  t.equal(driver.counters['tipped-messages'].leftAsDeletes, 1);
});

t.test('a delete on a deletes the row on the reporting side', async (t) => {
  const { driver, a, b } = setup();
  a.insert('messages', message(10, 'thanks!', Decimal.parse('2.5000'), '2026-01-01 00:00:02'));
  await driver.settle();
  t.equal(b.rows('messages').length, 1);
  a.delete('messages', { id: 10 });
  await driver.settle();
  t.same(b.rows('messages'), []);
  t.ok(b.tombstone('messages', { id: 10 }), 'the reporting side remembers the delete');
  t.same(driver.deadLetters, []);
});

t.test('last writer wins: an update that arrives after a newer delete does not bring the row back', async (t) => {
  // Deletes travel on a.chat.tandem_tombstones, updates on a.chat.messages: two topics, so the
  // runtime may apply them in either order.
  for (const deleteFirst of [true, false]) {
    const { driver, a, b } = setup();
    a.insert('messages', message(10, 'thanks!', Decimal.parse('2.5000'), '2026-01-01 00:00:02'));
    await driver.settle();
    a.update('messages', { id: 10, body: 'thanks!!', updated_at: at('2026-01-01 00:00:03') });
    a.delete('messages', { id: 10 });
    await driver.deliver(deleteFirst ? 'a.chat.tandem_tombstones' : 'a.chat.messages');
    await driver.settle();
    t.same(b.rows('messages'), [], `gone (${deleteFirst ? 'delete' : 'update'} applied first)`);
    const skipped = driver.readSink('reporting').results.reduce((n, r) => n + r.skipped, 0);
    t.equal(skipped, deleteFirst ? 1 : 0, deleteFirst ? "the late update is refused by the sink's guard" : 'nothing to refuse in binlog order');
  }
});

t.test('last writer wins: changes of one row in one batch reach the sink as one write, the newest', async (t) => {
  const { driver, a, b } = setup();
  a.insert('messages', message(10, 'thanks!', Decimal.parse('2.5000'), '2026-01-01 00:00:02'));
  a.update('messages', { id: 10, body: 'thanks!!', updated_at: at('2026-01-01 00:00:03') });
  await driver.settle();
  t.same(b.rows('messages'), [reported(10, 'thanks!!', Decimal.parse('2.5000'), '2026-01-01 00:00:03')]);
  t.equal(driver.counters['last-writer-wins'].conflictsResolved, 1);
  t.same(driver.readSink('reporting').events.map((e) => [e.op, e.after?.text]), [['u', 'thanks!!']]);
});
