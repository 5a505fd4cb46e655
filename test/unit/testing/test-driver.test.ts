import t from 'tap';
import bidirectional from '../../../topologies/bidirectional';
import { loadConfig } from '../../../lib/config';
import { DebeziumEncoder, columnTypes as c, envelopeSchemas } from '../../../lib/debezium';
import { defineTopology, providedSink } from '../../../lib/dsl';
import { routeByTable } from '../../../lib/stages';
import { LocalDateTime } from '../../../lib/model';
import { at, captureSink, changeEvent, TopologyTestDriver } from '../../../lib/testing';

// A user's topology: messages from A only, body trimmed, into B's messages table.
const messagesOnly = defineTopology('messages-only', (ctx) => {
  ctx.stream(/a\.chat\..*/, { name: 'a-changes' })
    .map((e) => (e.after && typeof e.after.body === 'string' ? { ...e, after: { ...e.after, body: e.after.body.trim() } } : e), { name: 'trim-body' })
    .route(routeByTable({ routes: { messages: true }, ignore: ['rooms'] }), { name: 'route' })
    .to(ctx.mysql('b'), { name: 'to-b' });
});

const message = (id: number, body: string, updatedAt = '2026-01-01 00:00:01') =>
  changeEvent({ table: 'messages', after: { id, room_id: 1, author_id: 2, body, updated_at: at(updatedAt) } });

t.test('pipeInput runs the batch at once; readSink shows what reached the sink; dead letters are kept', async (t) => {
  const driver = new TopologyTestDriver(messagesOnly);
  await driver.createInputTopic('a.chat.messages').pipeInput([message(1, '  hi  '), message(2, 'yo')]);
  await driver.createInputTopic('a.chat.rooms').pipeInput(changeEvent({ table: 'rooms', after: { id: 1 } }));
  await driver.createInputTopic('a.chat.users').pipeInput(changeEvent({ table: 'users', after: { id: 1 } }));
  const out = driver.readSink('to-b');
  t.same(out.events.map((e) => e.after?.body), ['hi', 'yo']);
  t.same(out.results, [{ applied: 2, skipped: 0, deadLetters: [], tables: { messages: { applied: 2, skipped: 0 } } }]);
  t.same(driver.database('b').rows('messages').map((r) => r.body), ['hi', 'yo']);
  t.same(driver.deadLetters.map((d) => [d.stage, d.reason, d.kafka?.topic]), [['route', 'no route for table "users" (routed: messages)', 'a.chat.users']]);
  t.equal(driver.counters.route.ignored, 1);
  t.equal(driver.pendingCount, 2, 'B emitted its changes; nothing in this topology reads them');
  t.same(driver.topicEvents('b.chat.messages').map((e) => [e.op, e.source.serverId]), [['c', 4100], ['c', 4100]]);
  t.throws(() => driver.createInputTopic('b.chat.messages'), /no source of topology messages-only reads topic b\.chat\.messages/);
  t.throws(() => driver.readSink('nope'), /no sink named nope \(have to-b\)/);
});

t.test('with linger, records wait for a full batch or for advanceTime', async (t) => {
  const sink = captureSink('out');
  const topology = defineTopology('lingering', (ctx) => {
    ctx.stream('in', { name: 'src' }).to(providedSink('out'));
  });
  const driver = new TopologyTestDriver(topology, { lingerMs: 20, batchRows: 3, sinks: [sink] });
  const input = driver.createInputTopic('in');
  await input.pipeInput([message(1, 'a'), message(2, 'b')]);
  t.equal(sink.events.length, 0, 'two of three rows: still lingering');
  await driver.advanceTime(19);
  t.equal(sink.events.length, 0, '19 ms < linger');
  await driver.advanceTime(1);
  t.same(sink.events.map((e) => e.after?.id), [1, 2], 'linger passed: one batch of two');
  await input.pipeInput([message(3, 'c'), message(4, 'd'), message(5, 'e'), message(6, 'f')]);
  t.same(driver.readSink('out').results.map((r) => r.applied), [2, 3, 1], 'a full batch goes at once, in batches of batchRows');
  t.equal(driver.now().toString(), '2026-01-01 00:00:00.020000');
});

t.test('raw Avro records go through the Debezium decoder; undecodable ones become dead letters', async (t) => {
  const driver = new TopologyTestDriver(messagesOnly);
  const topic = 'a.chat.messages';
  const record = await driver.encoder.record(topic, {
    ...message(7, ' avro '),
    // The columns of messages in schemas/chat.sql, as the shipped Debezium schema has them.
    after: { id: 7, room_id: 1, author_id: 2, body: ' avro ', meta: null, tip: null, sent_at: at('2026-01-01 00:00:00'), edited_at: null, updated_at: at('2026-01-01 00:00:01.000005') },
  });
  const tombstone = await driver.encoder.tombstone(topic, { id: 7 });
  await driver.createInputTopic(topic).pipeRecord([record, tombstone, { key: null, value: Buffer.from('not avro') }]);
  const rows = driver.database('b').rows('messages');
  t.equal(rows.length, 1);
  t.equal(rows[0].body, 'avro');
  t.equal(String(rows[0].updated_at), '2026-01-01 00:00:01.000005');
  t.equal(driver.deadLetters.length, 1);
  t.equal(driver.deadLetters[0].stage, 'debezium-decoder');
  t.same(driver.deadLetters[0].raw?.value, Buffer.from('not avro'));
  t.equal(driver.deadLetters[0].kafka?.topic, topic);
});

t.test('a BIT(10) value: what the in-memory database holds is what the decoder gives for Debezium\'s Avro', async (t) => {
  const driver = new TopologyTestDriver(bidirectional, { config: loadConfig({ TANDEM_TABLES: 'flags' }) });
  const columns = [{ name: 'id', type: c.bigint() }, { name: 'b10', type: c.bits(10) }, { name: 'updated_at', type: c.timestampMicros() }];
  const encoder = new DebeziumEncoder({
    registry: driver.schemaRegistry,
    schemasFor: (topic) => envelopeSchemas({ prefix: topic.split('.')[0], db: 'chat', table: 'flags', key: ['id'], columns }),
  });
  // b'1010101010', as the column holds it (big-endian): Debezium writes AA 02.
  const row = { id: 1, b10: Buffer.from('02aa', 'hex'), updated_at: at('2026-01-01 00:00:01.000000') };
  await driver.createInputTopic('a.chat.flags').pipeRecord(await encoder.record('a.chat.flags', { op: 'c', before: null, after: row, source: changeEvent({ table: 'flags' }).source }));
  await driver.settle();
  t.same(driver.database('b').rows('flags'), [row], 'b holds the big-endian bytes an application write on a holds');
  driver.database('b').update('flags', { id: 1, b10: Buffer.from('03ff', 'hex'), updated_at: at('2026-01-01 00:00:02') });
  await driver.settle();
  t.same(driver.database('a').rows('flags').map((r) => r.b10), [Buffer.from('03ff', 'hex')], 'and b\'s own write reaches a the same way');
});

t.test('without an origin filter an echo still dies after one hop at the guarded sink', async (t) => {
  const naive = defineTopology('naive', (ctx) => {
    for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
      ctx.stream(`${from}.chat.rooms`, { name: `${from}-src` }).route(routeByTable({ routes: { rooms: true } }), { name: `${from}-route` }).to(ctx.mysql(to), { name: `to-${to}` });
    }
  });
  const driver = new TopologyTestDriver(naive);
  driver.database('a').insert('rooms', { id: 1, name: 'x', updated_at: at('2026-01-01 00:00:01') });
  t.equal(await driver.settle(), 2, 'A → B, then the echo back to A, then quiet');
  t.same(driver.readSink('to-b').results, [{ applied: 1, skipped: 0, deadLetters: [], tables: { rooms: { applied: 1, skipped: 0 } } }]);
  t.same(driver.readSink('to-a').results, [{ applied: 0, skipped: 1, deadLetters: [], tables: { rooms: { applied: 0, skipped: 1 } } }], 'the echo was a no-op at A');
  t.equal(driver.topicEvents('a.chat.rooms').length, 1, 'A emitted nothing for it');
});

t.test('settle fails loudly when changes keep bouncing', async (t) => {
  // A broken topology that makes every hop newer: only the round limit stops it.
  const bouncing = defineTopology('bouncing', (ctx) => {
    for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
      ctx.stream(`${from}.chat.rooms`, { name: `${from}-src` })
        .map((e) => ({ ...e, after: { ...e.after, updated_at: new LocalDateTime((e.after?.updated_at as LocalDateTime).epochMicros + 1n) } }))
        .route(routeByTable({ routes: { rooms: true } }))
        .to(ctx.mysql(to), { name: `to-${to}` });
    }
  });
  const driver = new TopologyTestDriver(bouncing);
  driver.database('a').insert('rooms', { id: 1, name: 'x', updated_at: at('2026-01-01 00:00:01') });
  await t.rejects(driver.settle(5), { message: /did not settle after 5 rounds: records still pending on b\.chat\.rooms \(a replication loop\?\)/ });
  await t.rejects(driver.advanceTime(-1), /advanceTime needs ms >= 0/);
});
