import t from 'tap';
import { DebeziumDecoder, DebeziumEncoder, columnTypes as c, compileAvro, envelopeSchemas, shippedSchemas, unscaledToBytes, unscaledFromBytes } from '../../../lib/debezium';
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, tombstonePkHash, type Row, type SourceInfo } from '../../../lib/model';
import { HEADER_LENGTH, InMemorySchemaRegistry } from '../../../lib/registry';
import { chatTables } from './fixtures/chat-tables';
import { columnTypeCases, edgeColumns, edgeRow, edgeRowCount } from './fixtures/column-types';

const source: SourceInfo = {
  connector: 'mariadb', name: 'b', db: 'chat', table: 'alltypes', serverId: 4100, gtid: '0-4100-9', file: 'mysql-bin.000001',
  pos: 4, row: 1, tsMs: 1700000000000, snapshot: false, thread: 7,
};

const allTypes = envelopeSchemas({
  prefix: 'b', db: 'chat', table: 'alltypes', key: ['id'], columns: [
    { name: 'id', type: c.bigint() },
    { name: 'd', type: c.date(), optional: true },
    { name: 't_ms', type: c.timeMillis(), optional: true },
    { name: 't_us', type: c.timeMicros(), optional: true },
    { name: 'ts_ms', type: c.timestampMillis(), optional: true },
    { name: 'ts_us', type: c.timestampMicros(), optional: true },
    { name: 'ts_ns', type: c.timestampNanos(), optional: true },
    { name: 'zts', type: c.zonedTimestamp(), optional: true },
    { name: 'price', type: c.decimal(12, 4), optional: true },
    { name: 'meta', type: c.json(), optional: true },
    { name: 'role', type: c.enumOf(['owner', 'member']), optional: true },
    { name: 'flags', type: c.bits(8), optional: true },
    { name: 'blob', type: c.bytes(), optional: true },
    { name: 'big', type: c.bigint(), optional: true },
    { name: 'logical_dec', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 6 }, optional: true },
    { name: 'logical_ts', type: { type: 'long', logicalType: 'timestamp-micros' }, optional: true },
    { name: 'vdec', optional: true, type: { type: 'record', name: 'VariableScaleDecimal', namespace: 'io.debezium.data', fields: [{ name: 'scale', type: 'int' }, { name: 'value', type: 'bytes' }], 'connect.version': 1, 'connect.name': 'io.debezium.data.VariableScaleDecimal' } },
    { name: 'small', type: c.smallint(), optional: true },
    { name: 'ok', type: c.boolean(), optional: true },
    { name: 'n', type: c.intUnsigned(), default: 7 },
  ],
});

const row: Row = {
  id: 1,
  d: new LocalDate(19675),
  t_ms: new LocalTime(45296789000n, 3),
  t_us: new LocalTime(45296789012n, 6),
  ts_ms: new LocalDateTime(1700000000123000n, 3),
  ts_us: new LocalDateTime(1700000000123456n, 6),
  ts_ns: new LocalDateTime(1700000000123456n, 6, 789),
  zts: new ZonedDateTime('2023-11-14T22:13:20.123456Z'),
  price: new Decimal(-123456789n, 4),
  meta: new Json('{"a": [1, 2.50]}'),
  role: 'owner',
  flags: Buffer.from([0x81]),
  blob: Buffer.from('blob bytes'),
  big: 2n ** 62n + 1n,
  logical_dec: new Decimal(-99999999999999999999n, 6),
  logical_ts: new LocalDateTime(-1n, 6),
  vdec: new Decimal(-1234567n, 3),
  small: -32768,
  ok: false,
  n: 4294967295,
};

t.test('encode then decode gives back the same event, for every type', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry, schemasFor: () => allTypes });
  const decoder = new DebeziumDecoder({ schemas: registry });
  for (const op of ['c', 'u', 'd', 'r'] as const) {
    const event = { op, before: op === 'c' || op === 'r' ? null : row, after: op === 'd' ? null : { ...row, role: 'member' }, source };
    const record = await encoder.record('b.chat.alltypes', event, { partition: 1, offset: 99 });
    const decoded = await decoder.decode(record);
    t.same(decoded, {
      ...event,
      key: { id: 1 },
      kafka: { topic: 'b.chat.alltypes', partition: 1, offset: '99', timestamp: 1700000000000 },
      headers: {},
      columns: decoded?.columns,
    }, `op ${op}`);
  }
  t.equal(registry.latestId('b.chat.alltypes-key'), 1);
  t.equal(registry.latestId('b.chat.alltypes-value'), 2);
});

t.test('Decimal bytes are two\'s complement big-endian, rescaled without rounding', async (t) => {
  t.same(unscaledToBytes(-123456789n), Buffer.from('f8a432eb', 'hex'));
  t.same(unscaledToBytes(0n), Buffer.from([0]));
  t.same(unscaledToBytes(128n), Buffer.from([0, 128]), 'a positive value keeps its sign byte');
  t.same(unscaledToBytes(-128n), Buffer.from([0x80]));
  t.equal(unscaledFromBytes(Buffer.from('f8a432eb', 'hex')), -123456789n);
  t.equal(unscaledFromBytes(unscaledToBytes(-(10n ** 30n) + 7n)), -(10n ** 30n) + 7n);
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry, schemasFor: () => allTypes });
  const decoder = new DebeziumDecoder({ schemas: registry });
  const event = await decoder.decode(await encoder.record('b.chat.alltypes', { op: 'c', before: null, after: { id: 2, price: Decimal.parse('1.5') }, source }));
  t.equal(String(event!.after!.price), '1.5000', 'scale 1 written at the column\'s scale 4');
  await t.rejects(encoder.encode('b.chat.alltypes', { op: 'c', before: null, after: { id: 2, price: Decimal.parse('1.23456') }, source }), /price: 1\.23456 has more than 4 fraction digits: it would be rounded/);
  await t.rejects(encoder.encode('b.chat.alltypes', { op: 'c', before: null, after: { id: 2, d: '2023-01-01' }, source }), /alltypes\.Value\.d: expected a LocalDate/);
  await t.rejects(encoder.encode('b.chat.alltypes', { op: 'c', before: null, after: { d: null }, source }), /cannot encode the key of a b\.chat\.alltypes event: b\.chat\.alltypes\.Key\.id is NOT NULL and has no default, but the row lacks it/);
  const defaulted = await decoder.decode(await encoder.record('b.chat.alltypes', { op: 'c', before: null, after: { id: 3 }, source }));
  t.equal(defaulted!.after!.n, 7, 'a column left out takes the schema default');
  t.equal(defaulted!.after!.price, null);
});

t.test('every MariaDB column type: the encoder writes the Avro Debezium writes, and it decodes back', async (t) => {
  const schemas = envelopeSchemas({ prefix: 'b', db: 'chat', table: 'edges', key: ['id'], columns: edgeColumns });
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry, schemasFor: () => schemas });
  const decoder = new DebeziumDecoder({ schemas: registry });
  const envelope = compileAvro(schemas.value);
  for (let k = 0; k < edgeRowCount; k++) {
    const after: Row = { id: k, ...edgeRow(k, (v) => v.value) };
    const record = await encoder.record('b.chat.edges', { op: 'c', before: null, after, source });
    const written = (envelope.fromBuffer(record.value!.subarray(HEADER_LENGTH)) as { after: Record<string, unknown> }).after;
    const avro = edgeRow(k, (v) => v.avro);
    for (const col of columnTypeCases) t.strictSame(written[col.column], avro[col.column], `${col.sql}, row ${k}: as Debezium writes it`);
    t.strictSame((await decoder.decode(record))!.after, after, `row ${k} decodes to the values encoded`);
  }
});

t.test('Bits: big-endian bytes in, Debezium\'s little-endian ceil(n/8) bytes out; more than n bits refused', async (t) => {
  const schemas = envelopeSchemas({ prefix: 'b', db: 'chat', table: 'bits', key: ['id'], columns: [
    { name: 'id', type: c.bigint() }, { name: 'b10', type: c.bits(10), optional: true }, { name: 'b64', type: c.bits(64), optional: true },
  ] });
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry, schemasFor: () => schemas });
  const envelope = compileAvro(schemas.value);
  const write = async (after: Row) => (envelope.fromBuffer((await encoder.encode('b.chat.bits', { op: 'c', before: null, after: { id: 1, ...after }, source })).value.subarray(HEADER_LENGTH)) as { after: Row }).after;
  t.strictSame((await write({ b10: Buffer.from('02aa', 'hex') })).b10, Buffer.from('aa02', 'hex'), 'b\'1010101010\'');
  t.strictSame((await write({ b10: Buffer.from('aa', 'hex') })).b10, Buffer.from('aa00', 'hex'), 'a short value padded as Debezium pads');
  t.strictSame((await write({ b10: Buffer.from('000002aa', 'hex') })).b10, Buffer.from('aa02', 'hex'), 'leading zero bytes dropped');
  t.strictSame((await write({ b64: Buffer.from('8000000000000001', 'hex') })).b64, Buffer.from('0100000000000080', 'hex'));
  await t.rejects(write({ b10: Buffer.from('0400', 'hex') }), /b10: 0x0400 has more than 10 bits/);
  await t.rejects(write({ b64: Buffer.from('010000000000000000', 'hex') }), /b64: 0x010000000000000000 has more than 64 bits/);
  await t.rejects(write({ b10: 682 }), /b10: expected the big-endian bytes of a BIT\(10\) value \(a Buffer\), got number 682/);
});

t.test('tombstones: the key with a null value', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry });
  const decoder = new DebeziumDecoder({ schemas: registry });
  const record = await encoder.record('a.chat.messages', { tombstone: { id: 5 } });
  t.equal(record.value, null);
  t.equal(record.key![0], 0);
  t.equal(await decoder.decode(record), null);
});

t.test('shipped schemas: real Debezium shapes, re-targeted per prefix, equal to the builder', async (t) => {
  for (const connector of ['mariadb', 'mysql'] as const) {
    for (const [table, spec] of Object.entries(chatTables(connector))) {
      for (const prefix of ['a', 'b']) {
        t.same(shippedSchemas(`${prefix}.chat.${table}`, connector), envelopeSchemas({ prefix, db: 'chat', table, connector, ...spec }), `${connector} ${prefix}.chat.${table}`);
      }
    }
  }
  const value = shippedSchemas('b.chat.messages').value;
  t.equal(value['connect.name'], 'b.chat.messages.Envelope');
  t.equal(value.namespace, 'b.chat.messages');
  t.throws(() => shippedSchemas('a.chat.nope'), /no Debezium schema shipped for chat\.nope/);
});

t.test('a chat message through the shipped schemas, MariaDB and MySQL', async (t) => {
  for (const connector of ['mariadb', 'mysql'] as const) {
    const registry = new InMemorySchemaRegistry();
    const encoder = new DebeziumEncoder({ registry, schemasFor: (topic) => shippedSchemas(topic, connector) });
    const decoder = new DebeziumDecoder({ schemas: registry });
    const after: Row = {
      id: 10, room_id: 2, author_id: 77, body: 'x'.repeat(200), meta: connector === 'mysql' ? new Json('{"k":"v"}') : '{"k":"v"}', tip: Decimal.parse('12345678.9012'),
      sent_at: LocalDateTime.parse('2024-02-29 23:59:59.999999'), edited_at: null, updated_at: LocalDateTime.parse('2024-03-01 00:00:00.000001'),
    };
    const event = await decoder.decode(await encoder.record('a.chat.messages', { op: 'c', before: null, after, source: { ...source, connector, table: 'messages' } }));
    t.same(event!.after, after, connector);
    t.equal(event!.source.connector, connector);
    t.equal(String(event!.after!.sent_at), '2024-02-29 23:59:59.999999');
    const tomb = await decoder.decode(await encoder.record('a.chat.tandem_tombstones', {
      op: 'c', before: null, source: { ...source, connector, table: 'tandem_tombstones' },
      after: { tbl: 'messages', pk_hash: tombstonePkHash('[10]'), pk: '[10]', deleted_at: LocalDateTime.parse('2024-03-01 00:00:00.000002'), origin: 4294967295 },
    }));
    t.same(tomb!.key, { tbl: 'messages', pk_hash: tombstonePkHash('[10]') });
    t.equal(tomb!.after!.origin, 4294967295);
    const room = await decoder.decode(await encoder.record('a.chat.rooms', {
      op: 'c', before: null, source: { ...source, connector, table: 'rooms' },
      after: { id: 2, name: 'general', topic: null, is_private: 1, created_at: new LocalDateTime(0n), updated_at: new LocalDateTime(1n) },
    }));
    t.equal(room!.after!.is_private, 1);
    t.same((await decoder.decode(await encoder.record('a.chat.members', { tombstone: { room_id: 2, user_id: 77 } }))), null);
  }
});

t.test('a Json value goes into a plain text column (MariaDB JSON) as its text; a wrong type names the field', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry });
  const decoder = new DebeziumDecoder({ schemas: registry });
  const after: Row = {
    id: 1, room_id: 2, author_id: 3, body: 'b', meta: new Json('{"x": 1}'), tip: null,
    sent_at: new LocalDateTime(5n), edited_at: null, updated_at: new LocalDateTime(6n),
  };
  const event = await decoder.decode(await encoder.record('a.chat.messages', { op: 'c', before: null, after, source }));
  t.equal(event!.after!.meta, '{"x": 1}');
  await t.rejects(encoder.encode('a.chat.messages', { op: 'c', before: null, after: { ...after, author_id: 'ann' }, source }), /cannot encode an event of a\.chat\.messages: field after\.author_id does not match the schema/);
});
