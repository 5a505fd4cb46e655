// Bytes Debezium 3.x's MariaDB connector wrote through Apicurio's Avro converter (captured from
// the local stack: `a.chat.messages`, offset 0), decoded with the shipped schemas, which equal
// the ones that connector registered. Only the 4-byte schema ids are swapped for the in-memory ones.
import t from 'tap';
import { DebeziumDecoder, shippedSchemas } from '../../../lib/debezium';
import { Decimal, LocalDateTime } from '../../../lib/model';
import { HEADER_LENGTH, InMemorySchemaRegistry, frame } from '../../../lib/registry';

const capturedKey = '000000000abaecd4b1e9c1b006';
const capturedValue =
  '000000000b0002baecd4b1e9c1b006d2c3e8d8919508542268c3a96c6c6f2066726f6d206120e29c9302227b226d656e74696f6e73223a5b34325d7d02' +
  '0800bc614e80c980e1ddc0b00600e2afc1e1ddc0b00616332e352e302e46696e616c0e6d617269616462026190d4bde2c168000a66616c736508636861' +
  '740002809dd9b1e9c1b0060280c88aa1ac9f82eb3102106d6573736167657316020e312d31312d3231246d6172696164622d62696e2e303030303032bc26' +
  '0000000002630280d5bde2c16802a497e0b1e9c1b00602c2f8b5d7ac9f82eb31';

t.test('a real MariaDB insert event decodes to exact values', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const schemas = shippedSchemas('a.chat.messages');
  const keyId = registry.registerSync('a.chat.messages-key', schemas.key);
  const valueId = registry.registerSync('a.chat.messages-value', schemas.value);
  const key = Buffer.from(capturedKey, 'hex');
  const value = Buffer.from(capturedValue, 'hex');
  t.equal(value.readUInt32BE(1), 11, 'as captured: schema id 11');
  const event = await new DebeziumDecoder({ schemas: registry }).decode({
    topic: 'a.chat.messages', partition: 0, offset: '0', timestamp: 1795533813811, headers: {},
    key: frame(keyId, key.subarray(HEADER_LENGTH)),
    value: frame(valueId, value.subarray(HEADER_LENGTH)),
  });
  t.same(event, {
    op: 'c',
    before: null,
    after: {
      id: 1795533812964125, room_id: 17955338129641, author_id: 42, body: 'héllo from a ✓', meta: '{"mentions":[42]}',
      tip: new Decimal(12345678n, 4), sent_at: LocalDateTime.parse('2026-11-24 10:11:12.123456'), edited_at: null,
      updated_at: LocalDateTime.parse('2026-11-24 10:11:12.654321'),
    },
    key: { id: 1795533812964125 },
    source: {
      connector: 'mariadb', name: 'a', db: 'chat', table: 'messages', serverId: 11, gtid: '1-11-21', file: 'mariadb-bin.000002',
      pos: 2462, row: 0, tsMs: 1795533813000, snapshot: false, thread: null,
    },
    kafka: { topic: 'a.chat.messages', partition: 0, offset: '0', timestamp: 1795533813811 },
    headers: {},
    columns: event?.columns,
  });
  // What the record's schema says per column (the sink adds a missing column from it).
  const columns = new Map((event?.columns ?? []).map((c) => [c.name, c]));
  t.same([...columns.keys()], Object.keys(event!.after!), 'one column schema per after-image column, in table order');
  t.same(columns.get('tip'), { name: 'tip', type: 'bytes', semantic: 'org.apache.kafka.connect.data.Decimal', optional: true, default: null, parameters: { scale: '4', 'connect.decimal.precision': '12' } });
  t.equal(columns.get('updated_at')?.semantic, 'io.debezium.time.MicroTimestamp');
  t.equal(columns.get('body')?.optional, false);
  t.equal(String(event!.after!.tip), '1234.5678');
  t.equal(String(event!.after!.sent_at), '2026-11-24 10:11:12.123456');
});
