import t from 'tap';
import { deadLetterMessage, DLQ_HEADERS, parseDeadLetterMessage } from '../../../lib/runtime/dead-letter-message';

const refused = {
  stage: 'decode',
  reason: 'unknown schema id 7',
  raw: { key: Buffer.from('K'), value: Buffer.from([0, 0, 0, 0, 7, 1]), headers: { trace: 'abc' } },
  kafka: { topic: 'a.chat.rooms', partition: 2, offset: '41', timestamp: 1700 },
};

t.test('keeps the original bytes and names reason, stage, topic, partition and offset', async (t) => {
  const m = deadLetterMessage(refused);
  t.same(m.key, Buffer.from('K'));
  t.same(m.value, Buffer.from([0, 0, 0, 0, 7, 1]));
  t.equal(m.headers[DLQ_HEADERS.reason], 'unknown schema id 7');
  t.equal(m.headers[DLQ_HEADERS.stage], 'decode');
  t.equal(m.headers[DLQ_HEADERS.topic], 'a.chat.rooms');
  t.equal(m.headers[DLQ_HEADERS.partition], '2');
  t.equal(m.headers[DLQ_HEADERS.offset], '41');
  t.same(m.headers.trace, Buffer.from('abc'));
});

t.test('a reason that carries a URL with a password (an error text) goes out masked', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const m = deadLetterMessage({
    stage: 'decode',
    reason: `registry has no such entry while fetching schema id 7 from http://reg:${SECRET}@r:8081/apis/ccompat/v7 (404); db mysql://tandem:${SECRET}@h/chat`,
    raw: { key: null, value: Buffer.from([0, 0, 0, 0, 7]) },
  });
  const header = String(m.headers[DLQ_HEADERS.reason]);
  t.notMatch(header, SECRET);
  t.equal(header, 'registry has no such entry while fetching schema id 7 from http://***@r:8081/apis/ccompat/v7 (404); db mysql://***@h/chat');
  for (const v of Object.values(m.headers)) t.notMatch(String(v), SECRET);
});

t.test('read back, a dead letter gives its reason, stage, origin and the original record with its own headers only', async (t) => {
  const m = deadLetterMessage({ ...refused, stage: 'mysql-sink', reason: 'CONSTRAINT `no_x` failed (4025)' });
  // As node-rdkafka hands headers back: every value a Buffer.
  const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)]));
  const stored = parseDeadLetterMessage({ partition: 0, offset: 5n, timestamp: 1800 }, { key: m.key, value: m.value, headers });
  t.same(stored, {
    partition: 0,
    offset: 5n,
    timestamp: 1800,
    reason: 'CONSTRAINT `no_x` failed (4025)',
    stage: 'mysql-sink',
    origin: { topic: 'a.chat.rooms', partition: 2, offset: '41', timestamp: 1700 },
    key: Buffer.from('K'),
    value: Buffer.from([0, 0, 0, 0, 7, 1]),
    headers: { trace: Buffer.from('abc') },
  });
});

t.test('a record without Tandem\'s headers reads back without an origin, saying so', async (t) => {
  const stored = parseDeadLetterMessage({ partition: 1, offset: 0n, timestamp: 0 }, { key: null, value: Buffer.from('x'), headers: {} });
  t.same(stored, { partition: 1, offset: 0n, timestamp: 0, reason: '(no reason recorded)', stage: '(no stage recorded)', key: null, value: Buffer.from('x'), headers: {} });
});
