import t from 'tap';
import { loadStackConfig } from '../../../lib/stack/config';
import { sourceConnectorConfig, workerProperties } from '../../../lib/stack/connect';
import { serverArgs } from '../../../lib/stack/databases';
import { serverProperties } from '../../../lib/stack/kafka';
import { CONNECTOR_QUEUE_BYTES, MAX_BATCH_BYTES, MAX_RECORD_BYTES, MAX_REQUEST_BYTES, MAX_ROW_BYTES } from '../../../lib/stack/limits';

// A limit left at its default somewhere on the way stops a whole direction (or the dead letters)
// on the first large row: each part of the local stack must carry the same largest row.
const cfg = loadStackConfig({ TANDEM_STATE_DIR: '/tmp/tandem-limits-test' });
const props = (text: string) => Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

t.test('the limits derive from one row size, each one with room for the next', async (t) => {
  t.equal(MAX_ROW_BYTES, 64 * 1024 * 1024);
  t.ok(MAX_RECORD_BYTES > 2 * MAX_ROW_BYTES, 'an update carries the row twice (before and after)');
  t.ok(MAX_BATCH_BYTES > MAX_RECORD_BYTES, 'a dead letter adds headers to the record');
  t.ok(MAX_REQUEST_BYTES > MAX_BATCH_BYTES, 'a request frames the batch');
});

t.test('MariaDB: both servers accept rows up to MAX_ROW_BYTES', async (t) => {
  for (const id of ['a', 'b'] as const) t.ok(serverArgs(id).includes(`--max-allowed-packet=${MAX_ROW_BYTES}`), id);
});

t.test('the broker accepts the largest record batch, and requests that carry it', async (t) => {
  const p = props(serverProperties(cfg, '/tmp/data'));
  t.equal(p['message.max.bytes'], String(MAX_BATCH_BYTES));
  t.equal(p['replica.fetch.max.bytes'], String(MAX_BATCH_BYTES));
  t.equal(p['socket.request.max.bytes'], String(MAX_REQUEST_BYTES));
  t.equal(p['auto.create.topics.enable'], 'true', 'row topics are auto-created and so take message.max.bytes');
});

t.test("Connect's producers send the largest change event; Debezium's queue is bounded in bytes", async (t) => {
  const p = props(workerProperties(cfg, { kafkaLib: '/k', registryApp: '/r', pluginPath: '/p' }));
  t.equal(p['producer.max.request.size'], String(MAX_RECORD_BYTES));
  t.equal(p['producer.buffer.memory'], String(MAX_RECORD_BYTES), 'a record larger than buffer.memory is refused too');
  for (const db of ['a', 'b'] as const) t.equal(sourceConnectorConfig(cfg, db)['max.queue.size.in.bytes'], String(CONNECTOR_QUEUE_BYTES));
});
