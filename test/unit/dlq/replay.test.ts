// Replaying dead letters through the bidirectional topology on the test driver's in-memory
// databases: the original bytes decoded again (real Debezium Avro, the real decoder) and run once
// through the stages and the sink, whose last-writer-wins guard makes a stale record a no-op.
import t from 'tap';
import bidirectional from '../../../topologies/bidirectional';
import { DebeziumDecoder } from '../../../lib/debezium';
import { replayDeadLetters, replayLine, replaySummary, type ReplayResult } from '../../../lib/dlq';
import type { ChangeEvent, KafkaRecord, Row } from '../../../lib/model';
import { deadLetterMessage, DslPipeline, parseDeadLetterMessage } from '../../../lib/runtime';
import { at, changeEvent, TopologyTestDriver } from '../../../lib/testing';

const TOPIC = 'a.chat.rooms';
const room = (name: string, updatedAt: string): Row => ({ id: 1, name, topic: null, is_private: 0, created_at: at('2026-01-01 00:00:00'), updated_at: at(updatedAt) });

function setup() {
  const driver = new TopologyTestDriver(bidirectional);
  const pipeline = new DslPipeline(driver.executor);
  const decoder = new DebeziumDecoder({ schemas: driver.schemaRegistry });
  let next = 0;
  /** The dead letter the runtime would have written for `record`, read back from the topic. */
  const letter = (record: Pick<KafkaRecord, 'topic' | 'key' | 'value' | 'offset'> | { key: null; value: Buffer }, withOrigin = true) => {
    const kafka = 'topic' in record ? { topic: record.topic, partition: 0, offset: record.offset, timestamp: 1_767_225_600_000 } : undefined;
    const msg = deadLetterMessage({ stage: 'mysql-sink', reason: 'CONSTRAINT `no_general` failed for `chat`.`rooms` (4025)', raw: { key: record.key, value: record.value }, ...(withOrigin && kafka ? { kafka } : {}) });
    return parseDeadLetterMessage({ partition: 0, offset: BigInt(next++), timestamp: 1_767_225_601_000 }, msg);
  };
  const encode = (event: ChangeEvent, topic = TOPIC) => driver.encoder.record(topic, event, { offset: 40 + next });
  return { driver, pipeline, decoder, letter, encode, b: driver.database('b') };
}

t.test('a dead letter whose cause is gone is applied; replayed again, or older than the row, it is stale and changes nothing', async (t) => {
  const { pipeline, decoder, letter, encode, b } = setup();
  const first = letter(await encode(changeEvent({ table: 'rooms', after: room('general', '2026-01-01 00:00:02') })));
  const older = letter(await encode(changeEvent({ table: 'rooms', after: room('older', '2026-01-01 00:00:01'), pos: 3 })));
  const heard: ReplayResult[] = [];
  const results = await replayDeadLetters([first, first, older], { decoder, pipeline, onResult: (r) => heard.push(r) });
  t.same(results.map((r) => r.outcome), [{ result: 'applied' }, { result: 'stale' }, { result: 'stale' }]);
  t.same(heard, results, 'each result told as it finished');
  t.same(b.rows('rooms').map((r) => [r.name, String(r.updated_at)]), [['general', '2026-01-01 00:00:02.000000']], 'the newer row, once');
  t.equal(replayLine(results[0]), '0  a.chat.rooms[0]@40  applied');
  t.equal(replayLine(results[2]), '1  a.chat.rooms[0]@41  stale: the target holds a newer or the same row; last-writer-wins kept it');
  t.equal(replaySummary(results), 'replayed 3: 1 applied, 2 stale');
});

t.test('what cannot be replayed is dead again, with where and why; tombstones and echoes change nothing', async (t) => {
  const { pipeline, decoder, letter, encode, b } = setup();
  const garbage = letter({ topic: TOPIC, key: null, value: Buffer.from('not avro'), offset: '7' });
  const noOrigin = letter(await encode(changeEvent({ table: 'rooms', after: room('x', '2026-01-01 00:00:02') })), false);
  const unread = letter({ ...(await encode(changeEvent({ db: 'c', table: 'rooms', after: room('x', '2026-01-01 00:00:02') }), 'c.chat.rooms')) });
  const tombstone = letter({ ...(await encode(changeEvent({ table: 'rooms', after: room('x', '2026-01-01 00:00:02') }))), value: null });
  // Written by Tandem itself (its server id): the origin filter drops it, as it would have.
  const echo = letter(await encode(changeEvent({ table: 'rooms', after: room('echo', '2026-01-01 00:00:09'), serverId: 4100 })));
  const results = await replayDeadLetters([garbage, noOrigin, unread, tombstone, echo], { decoder, pipeline });
  t.match(results.map((r) => r.outcome), [
    { result: 'dead', stage: 'decode', reason: /magic byte/i },
    { result: 'dead', stage: 'replay', reason: 'the dead letter does not say which topic its record was read from (no tandem.dlq.topic header)' },
    { result: 'dead', stage: 'route', reason: 'no source node of the topology reads topic c.chat.rooms' },
    { result: 'nothing' },
    { result: 'dropped', by: ['a-to-b.origin-filter'] },
  ]);
  t.same(b.rows('rooms'), [], 'nothing reached b');
  t.equal(replayLine(results[2]), '2  c.chat.rooms[0]@42  dead again at route: no source node of the topology reads topic c.chat.rooms');
  t.equal(replayLine(results[1]), '1  (origin unknown)  dead again at replay: the dead letter does not say which topic its record was read from (no tandem.dlq.topic header)');
  t.equal(replaySummary(results), 'replayed 5: 1 dropped, 1 with nothing to apply, 3 dead again');
});
