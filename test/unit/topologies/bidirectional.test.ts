import t, { type Test } from 'tap';
import bidirectional from '../../../topologies/bidirectional';
import { at, TopologyTestDriver } from '../../../lib/testing';
import { LocalDateTime, type ChangeEvent, type Row } from '../../../lib/model';

// The interleavings of docs/loop-prevention.md, on the test driver: two in-memory databases with
// Tandem's triggers and guards, their change streams, and the topology in both directions.

function setup() {
  const driver = new TopologyTestDriver(bidirectional);
  return { driver, a: driver.database('a'), b: driver.database('b') };
}

const room = (id: number, name: string, updatedAt: string): Row => ({ id, name, topic: null, is_private: 0, updated_at: at(updatedAt) });
const A_TOPICS = /^a\./;
const B_TOPICS = /^b\./;

/** Every change Tandem wrote (server id 4100) was dropped by the filter of the way back: no echo reached a sink. */
function assertNoEcho(t: Test, driver: TopologyTestDriver): void {
  const topics = ['rooms', 'members', 'messages', 'tandem_tombstones'].flatMap((tbl) => [`a.chat.${tbl}`, `b.chat.${tbl}`]);
  const tandemWrites = topics.flatMap((topic) => driver.topicEvents(topic)).filter((e) => e.source.serverId === 4100).length;
  const suppressed = (driver.counters['a-to-b.origin-filter'].echoesSuppressed ?? 0) + (driver.counters['b-to-a.origin-filter'].echoesSuppressed ?? 0);
  t.equal(suppressed, tandemWrites, 'every Tandem write was suppressed as an echo');
  t.equal(driver.pendingCount, 0, 'nothing left in flight');
}

async function seeded(name = 'general') {
  const s = setup();
  s.a.insert('rooms', room(1, name, '2026-01-01 00:00:01'));
  await s.driver.settle();
  return s;
}

t.test('a write on A reaches B once and its echo dies', async (t) => {
  const { driver, a, b } = await seeded();
  t.same(b.rows('rooms'), [room(1, 'general', '2026-01-01 00:00:01')]);
  t.same(driver.topicEvents('b.chat.rooms').map((e) => [e.op, e.source.serverId]), [['c', 4100]]);
  t.same(driver.topicEvents('a.chat.rooms').map((e) => [e.op, e.source.serverId]), [['c', 1]], 'nothing came back to A');
  t.equal(driver.counters['b-to-a.origin-filter'].echoesSuppressed, 1);
  t.same(a.snapshot(), b.snapshot());
  t.same(driver.deadLetters, []);
});

t.test('1. same row updated on A and B nearly together: both end with the newer version', async (t) => {
  for (const bFirst of [false, true]) {
    const { driver, a, b } = await seeded();
    a.update('rooms', { id: 1, name: 'from-a', updated_at: at('2026-01-01 00:00:02.000001') });
    b.update('rooms', { id: 1, name: 'from-b', updated_at: at('2026-01-01 00:00:02.000002') });
    await driver.deliver(bFirst ? B_TOPICS : A_TOPICS);
    await driver.settle();
    t.same(a.rows('rooms'), [room(1, 'from-b', '2026-01-01 00:00:02.000002')], `A (${bFirst ? 'B' : 'A'} applied first)`);
    t.same(b.snapshot(), a.snapshot());
    assertNoEcho(t, driver);
  }
});

t.test('equal timestamps with different content: both sides pick the winner MariaDB would', async (t) => {
  const { driver, a, b } = await seeded();
  a.update('rooms', { id: 1, name: 'left', updated_at: at('2026-01-01 00:00:05') });
  b.update('rooms', { id: 1, name: 'right', updated_at: at('2026-01-01 00:00:05') });
  await driver.settle();
  // The greater MD5(JSON_ARRAY(name, topic, is_private)): on MariaDB 'right' gives 9965875..., 'left' 0b90711...
  t.same(a.rows('rooms'), [room(1, 'right', '2026-01-01 00:00:05')]);
  t.same(b.snapshot(), a.snapshot());
  assertNoEcho(t, driver);
});

t.test('2. A deletes while B updates with an older updated_at: both end without the row, in either order', async (t) => {
  for (const bFirst of [false, true]) {
    const { driver, a, b } = await seeded();
    b.update('rooms', { id: 1, name: 'stale', updated_at: at('2026-01-01 00:00:02') });
    await driver.advanceTime(3000); // NOW(6) on A: 00:00:03
    a.delete('rooms', { id: 1 });
    await driver.deliver(bFirst ? B_TOPICS : A_TOPICS);
    await driver.settle();
    t.same(a.rows('rooms'), [], 'A');
    t.same(b.rows('rooms'), [], 'B');
    t.equal(a.tombstone('rooms', { id: 1 })?.deletedAt.toString(), '2026-01-01 00:00:03.000000');
    t.same(b.tombstone('rooms', { id: 1 }), a.tombstone('rooms', { id: 1 }), 'both remember the same delete');
    assertNoEcho(t, driver);
  }
});

t.test('3. as 2 with B’s update newer than the delete: both end with B’s row, in either order', async (t) => {
  for (const bFirst of [false, true]) {
    const { driver, a, b } = await seeded();
    b.update('rooms', { id: 1, name: 'newer', updated_at: at('2026-01-01 00:00:04') });
    await driver.advanceTime(3000);
    a.delete('rooms', { id: 1 });
    await driver.deliver(bFirst ? B_TOPICS : A_TOPICS);
    await driver.settle();
    t.same(a.rows('rooms'), [room(1, 'newer', '2026-01-01 00:00:04')]);
    t.same(b.snapshot(), a.snapshot());
    assertNoEcho(t, driver);
  }
});

t.test('4. the same new key inserted on both: both end with the newer insert', async (t) => {
  const { driver, a, b } = setup();
  a.insert('members', { room_id: 1, user_id: 9, nickname: 'ann', role: 'member', joined_at: at('2026-01-01 00:00:01'), updated_at: at('2026-01-01 00:00:01.5') });
  b.insert('members', { room_id: 1, user_id: 9, nickname: 'bob', role: 'owner', joined_at: at('2026-01-01 00:00:01'), updated_at: at('2026-01-01 00:00:01.6') });
  await driver.settle();
  t.same(a.rows('members').map((r) => r.nickname), ['bob']);
  t.same(b.snapshot(), a.snapshot());
  assertNoEcho(t, driver);
});

t.test('5. an application update on B of a row last replicated from A reaches A', async (t) => {
  const { driver, a, b } = await seeded();
  await driver.advanceTime(10_000);
  b.update('rooms', { id: 1, topic: 'now on B' });
  await driver.settle();
  t.equal(a.row('rooms', { id: 1 })?.topic, 'now on B');
  t.equal(a.row('rooms', { id: 1 })?.updated_at?.toString(), '2026-01-01 00:00:10.000000');
  t.same(b.snapshot(), a.snapshot());
  assertNoEcho(t, driver);
});

t.test('5b. an update on B with a clock behind A still reaches A: the trigger moves it past what B holds', async (t) => {
  const { driver, a, b } = await seeded();
  b.update('rooms', { id: 1, topic: 'skewed', updated_at: at('2026-01-01 00:00:00.5') });
  await driver.settle();
  t.equal(b.row('rooms', { id: 1 })?.updated_at?.toString(), '2026-01-01 00:00:01.000001');
  t.equal(a.row('rooms', { id: 1 })?.topic, 'skewed');
  t.same(b.snapshot(), a.snapshot());
});

t.test('a touch on B that moves only updated_at backwards (clock behind) converges', async (t) => {
  const { driver, a, b } = await seeded();
  b.update('rooms', { id: 1, updated_at: at('2026-01-01 00:00:00.5') });
  await driver.settle();
  t.equal(b.row('rooms', { id: 1 })?.updated_at?.toString(), '2026-01-01 00:00:01.000001', 'the trigger moved it forward');
  t.same(b.snapshot(), a.snapshot());
});

t.test('6. an application delete on B of a row born on A reaches A', async (t) => {
  const { driver, a, b } = await seeded();
  await driver.advanceTime(5000);
  b.delete('rooms', { id: 1 });
  await driver.settle();
  t.same(a.rows('rooms'), []);
  t.equal(a.tombstone('rooms', { id: 1 })?.deletedAt.toString(), '2026-01-01 00:00:05.000000', 'A remembers B’s delete');
  t.equal(a.tombstone('rooms', { id: 1 })?.origin, 2, 'with B as its origin');
  t.same(b.tombstone('rooms', { id: 1 }), a.tombstone('rooms', { id: 1 }));
  t.equal(driver.counters['b-to-a.carry-deletes'].rowDeletesDropped, 1, 'the row-topic delete was a duplicate of the tombstone');
  assertNoEcho(t, driver);
});

t.test('6b. a key deleted on A and re-inserted on B with an older clock comes back on both', async (t) => {
  const { driver, a, b } = await seeded();
  await driver.advanceTime(5000);
  a.delete('rooms', { id: 1 });
  await driver.settle();
  b.insert('rooms', room(1, 'reborn', '2026-01-01 00:00:02'));
  await driver.settle();
  t.equal(b.row('rooms', { id: 1 })?.updated_at?.toString(), '2026-01-01 00:00:05.000001', 'the insert trigger moved it past the tombstone');
  t.equal(a.row('rooms', { id: 1 })?.name, 'reborn');
  t.same(b.snapshot(), a.snapshot());
});

t.test('7. a batch re-applied after a crash changes nothing and emits nothing', async (t) => {
  const { driver, a, b } = await seeded();
  a.insert('messages', { id: 10, room_id: 1, author_id: 5, body: 'hi', updated_at: at('2026-01-01 00:00:02') });
  a.update('messages', { id: 10, body: 'hi!', updated_at: at('2026-01-01 00:00:03') });
  await driver.settle();
  const before = { rows: b.snapshot(), events: driver.topicEvents('b.chat.messages').length, skipped: driver.counters['a-to-b.mysql-b'].skipped };
  // The consumer crashed before committing: A's whole history is read again.
  const replay: ChangeEvent[] = ['a.chat.rooms', 'a.chat.messages'].flatMap((topic) => driver.topicEvents(topic));
  await driver.createInputTopic('a.chat.rooms').pipeInput(replay.filter((e) => e.source.table === 'rooms'));
  await driver.createInputTopic('a.chat.messages').pipeInput(replay.filter((e) => e.source.table === 'messages'));
  t.same(b.snapshot(), before.rows);
  t.equal(driver.topicEvents('b.chat.messages').length, before.events, 'B emitted no change event');
  t.equal(driver.counters['a-to-b.mysql-b'].skipped - before.skipped, 2, 'the room and the collapsed message were no-ops');
  t.equal(driver.pendingCount, 0);
});

t.test('8. an echo that got past the filter changes nothing and dies at its target', async (t) => {
  const { driver, a } = await seeded();
  const echo = driver.topicEvents('b.chat.rooms')[0];
  t.equal(echo.source.serverId, 4100);
  // As on MySQL 8, where the filter cannot see origin: the echo carries B's own id.
  const unmarked: ChangeEvent = { ...echo, source: { ...echo.source, serverId: 2 } };
  const aEventsBefore = driver.topicEvents('a.chat.rooms').length;
  await driver.createInputTopic('b.chat.rooms').pipeInput(unmarked);
  t.equal(driver.topicEvents('a.chat.rooms').length, aEventsBefore, 'A wrote nothing, so nothing travels further');
  t.same(driver.readSink('mysql-a').results.at(-1), { applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } });
  t.same(a.rows('rooms'), [room(1, 'general', '2026-01-01 00:00:01')]);
});

/** 400 random writes on A and B (B's clock 3 ms behind), with partial deliveries in between; deterministic per seed. */
async function scripted(seed: number) {
  const { driver, a, b } = setup();
  let state = seed;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  for (let step = 0; step < 400; step++) {
    const db = rand(2) === 0 ? a : b;
    const id = 1 + rand(6);
    const existing = db.row('rooms', { id });
    // B's clock runs behind A's: conflicts are decided by the (skewed) clocks, the same way on both sides.
    const stamp: Row = db === b ? { updated_at: new LocalDateTime(driver.now().epochMicros - 3000n) } : {};
    const roll = rand(10);
    if (!existing) db.insert('rooms', { ...room(id, `n${step}`, '2000-01-01 00:00:00'), ...stamp });
    else if (roll < 6) db.update('rooms', { id, name: `n${step}`, ...stamp });
    else if (roll < 8) db.delete('rooms', { id });
    else db.update('rooms', { id, topic: existing.topic, ...stamp }); // changes nothing but updated_at
    const action = rand(4);
    if (action === 0) await driver.deliver(A_TOPICS);
    else if (action === 1) await driver.deliver(B_TOPICS);
    await driver.advanceTime(1 + rand(3));
  }
  await driver.settle();
  return { driver, a, b };
}

t.test('a scripted interleaving of writes on A and B ends with the same rows on both sides and no echo', async (t) => {
  let conflicts = 0;
  for (const seed of [42, 1, 7, 99, 1234]) {
    const { driver, a, b } = await scripted(seed);
    t.same(a.snapshot(), b.snapshot(), `seed ${seed}: A and B hold the same rows`);
    t.ok(a.rows('rooms').length > 0, `seed ${seed}: some rooms survive`);
    for (let id = 1; id <= 6; id++) t.same(a.tombstone('rooms', { id }), b.tombstone('rooms', { id }), `seed ${seed}: same tombstone for room ${id}`);
    assertNoEcho(t, driver);
    t.same(driver.deadLetters, []);
    conflicts += (driver.counters['a-to-b.last-writer-wins'].conflictsResolved ?? 0) + (driver.counters['b-to-a.last-writer-wins'].conflictsResolved ?? 0);
  }
  t.ok(conflicts > 0, 'batches did collapse changes to one row');
});

t.test('describe() shows both directions', async (t) => {
  const text = setup().driver.topology.describe().toString();
  t.match(text, /Source: a-to-b\.source \(topics: \[a\.chat\.rooms, a\.chat\.members, a\.chat\.messages, a\.chat\.tandem_tombstones, a\]\)/);
  t.match(text, /Sink: b-to-a\.mysql-a \(mysql sink → a, batches of up to 1000 rows, flushed at once, 4 connections\)/, 'the sink the runtime would make, not the driver\'s stand-in');
  t.equal(text.split('\n').filter((l) => /^    \S/.test(l)).length, 14, 'seven nodes per direction');
});

t.test('conflicts the stage resolves are exposed as audit records with both versions', async (t) => {
  const { driver, a, b } = await seeded();
  a.update('rooms', { id: 1, name: 'a-first', updated_at: at('2026-01-01 00:00:02') });
  a.update('rooms', { id: 1, name: 'a-second', updated_at: at('2026-01-01 00:00:03') });
  b.update('rooms', { id: 1, name: 'from-b', updated_at: at('2026-01-01 00:00:04') });
  await driver.settle();
  t.same(a.rows('rooms'), [room(1, 'from-b', '2026-01-01 00:00:04')]);
  t.same(b.snapshot(), a.snapshot());
  t.same(
    driver.audits.map((x) => [x.stage, x.table, x.key, x.winner.after?.name, x.loser.after?.name, x.loser.source.serverId]),
    [['a-to-b.last-writer-wins', 'rooms', { id: 1 }, 'a-second', 'a-first', 1]],
    'the two updates on A met in one batch; the first lost',
  );
  t.equal(driver.counters['a-to-b.last-writer-wins'].conflictsResolved, 1);
  assertNoEcho(t, driver);
});
