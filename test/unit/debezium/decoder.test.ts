import t, { type Test } from 'tap';

type Tap = Test;
import { DebeziumDecoder, columnTypes as c, unscaledToBytes } from '../../../lib/debezium';
import { TandemError } from '../../../lib/errors';
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, type ChangeEvent, type KafkaRecord } from '../../../lib/model';
import { InMemorySchemaRegistry, frame } from '../../../lib/registry';
import { columnTypeCases, edgeColumns, edgeRow, edgeRowCount } from './fixtures/column-types';
import { RawTopic } from './fixtures/raw-topic';

const allTypes = [
  { name: 'id', type: c.bigint() },
  { name: 'd', type: c.date(), optional: true },
  { name: 't_ms', type: c.timeMillis(), optional: true },
  { name: 't_us', type: c.timeMicros(), optional: true },
  { name: 'ts_ms', type: c.timestampMillis(), optional: true },
  { name: 'ts_us', type: c.timestampMicros(), optional: true },
  { name: 'ts_ns', type: c.timestampNanos(), optional: true },
  { name: 'zts', type: c.zonedTimestamp(), optional: true },
  { name: 'price', type: c.decimal(12, 4), optional: true },
  { name: 'vdec', optional: true, type: { type: 'record', name: 'VariableScaleDecimal', namespace: 'io.debezium.data', fields: [{ name: 'scale', type: 'int' }, { name: 'value', type: 'bytes' }], 'connect.doc': 'Variable scaled decimal', 'connect.version': 1, 'connect.name': 'io.debezium.data.VariableScaleDecimal' } },
  { name: 'meta', type: c.json(), optional: true },
  { name: 'role', type: c.enumOf(['owner', 'member']), optional: true },
  { name: 'flags', type: c.bits(8), optional: true },
  { name: 'blob', type: c.bytes(), optional: true },
  { name: 'n', type: c.intUnsigned(), optional: true },
  { name: 'small', type: c.smallint(), optional: true },
  { name: 'ok', type: c.boolean(), optional: true },
];

const nulls = Object.fromEntries(allTypes.map((col) => [col.name, null]));

async function decodeOne(t: Tap, record: KafkaRecord, registry: InMemorySchemaRegistry): Promise<ChangeEvent> {
  const event = await new DebeziumDecoder({ schemas: registry }).decode(record);
  if (event === null) throw new Error('expected an event, got a tombstone');
  t.equal(event.op, 'c');
  return event;
}

t.test('every Debezium semantic type decodes to its exact JS value', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'alltypes', allTypes, ['id']);
  const after = {
    ...nulls,
    id: 1,
    d: 19675,
    t_ms: 45296789,
    t_us: 45296789012,
    ts_ms: 1700000000123,
    ts_us: 1700000000123456,
    ts_ns: 1700000000123456789n,
    zts: '2023-11-14T22:13:20.123456Z',
    price: Buffer.from('f8a432eb', 'hex'), // -123456789 unscaled, scale 4
    vdec: { scale: 3, value: unscaledToBytes(1234567n) },
    meta: '{"tags":["a","b"],"n":1}',
    role: 'member',
    flags: Buffer.from([0b101]),
    blob: Buffer.from([0, 1, 2, 255]),
    n: 4294967295,
    small: -32768,
    ok: true,
  };
  const row = (await decodeOne(t, topic.change('c', null, after, { id: 1 }), registry)).after!;
  t.ok(row.d instanceof LocalDate);
  t.equal(String(row.d), '2023-11-14', 'io.debezium.time.Date (int days)');
  t.ok(row.t_ms instanceof LocalTime);
  t.equal(String(row.t_ms), '12:34:56.789', 'io.debezium.time.Time (int ms)');
  t.equal(String(row.t_us), '12:34:56.789012', 'io.debezium.time.MicroTime (long µs)');
  t.ok(row.ts_ms instanceof LocalDateTime);
  t.equal(String(row.ts_ms), '2023-11-14 22:13:20.123', 'io.debezium.time.Timestamp (long ms)');
  t.equal(String(row.ts_us), '2023-11-14 22:13:20.123456', 'io.debezium.time.MicroTimestamp (long µs)');
  t.equal((row.ts_us as LocalDateTime).epochMicros, 1700000000123456n);
  const ns = row.ts_ns as LocalDateTime;
  t.equal(String(ns), '2023-11-14 22:13:20.123456', 'io.debezium.time.NanoTimestamp (long ns)');
  t.equal(ns.epochMicros, 1700000000123456n);
  t.equal(ns.nanos, 789);
  t.ok(row.zts instanceof ZonedDateTime);
  t.equal((row.zts as ZonedDateTime).epochMicros, 1700000000123456n, 'io.debezium.time.ZonedTimestamp (string)');
  t.equal(String(row.zts), '2023-11-14T22:13:20.123456Z');
  t.ok(row.price instanceof Decimal);
  t.equal(String(row.price), '-12345.6789', 'Connect Decimal: two\'s complement, scale 4');
  t.equal(String(row.vdec), '1234.567', 'io.debezium.data.VariableScaleDecimal');
  t.ok(row.meta instanceof Json);
  t.equal((row.meta as Json).text, '{"tags":["a","b"],"n":1}', 'io.debezium.data.Json keeps the exact text');
  t.same((row.meta as Json).value, { tags: ['a', 'b'], n: 1 });
  t.equal(row.role, 'member', 'io.debezium.data.Enum');
  t.same(row.flags, Buffer.from([5]), 'io.debezium.data.Bits');
  t.ok(Buffer.isBuffer(row.blob));
  t.same(row.blob, Buffer.from([0, 1, 2, 255]), 'BLOB bytes');
  t.equal(row.n, 4294967295, 'INT UNSIGNED as a number');
  t.equal(row.small, -32768);
  t.equal(row.ok, true);
});

t.test('every MariaDB column type: edge values decode to exactly what the column holds', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'edges', edgeColumns, ['id']);
  for (let k = 0; k < edgeRowCount; k++) {
    const after = (await decodeOne(t, topic.change('c', null, { id: k, ...edgeRow(k, (v) => v.avro) }, { id: k }), registry)).after!;
    const expected = edgeRow(k, (v) => v.value);
    for (const col of columnTypeCases) t.strictSame(after[col.column], expected[col.column], `${col.sql}, row ${k}`);
  }
});

t.test('io.debezium.data.Bits: little-endian in Avro, the column\'s big-endian bytes in Tandem', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'bits', [
    { name: 'id', type: c.bigint() }, { name: 'b1', type: c.boolean() }, { name: 'b10', type: c.bits(10) }, { name: 'b64', type: c.bits(64) },
    { name: 'nolen', type: { type: 'bytes', 'connect.version': 1, 'connect.name': 'io.debezium.data.Bits' } },
  ], ['id']);
  const decode = async (b10: string, b64: string, nolen = '') =>
    (await decodeOne(t, topic.change('c', null, { id: 1, b1: true, b10: Buffer.from(b10, 'hex'), b64: Buffer.from(b64, 'hex'), nolen: Buffer.from(nolen, 'hex') }, { id: 1 }), registry)).after!;
  // b'1010101010' = 0x2AA: Debezium writes AA 02 (BitSet.toByteArray, padded to 2 bytes).
  const row = await decode('aa02', '0100000000000080', 'aa02');
  t.strictSame(row.b10, Buffer.from('02aa', 'hex'), 'BIT(10) b\'1010101010\'');
  t.strictSame(row.b64, Buffer.from('8000000000000001', 'hex'), 'BIT(64): highest and lowest bit');
  t.equal(row.b1, true, 'BIT(1) stays a boolean');
  t.strictSame(row.nolen, Buffer.from('02aa', 'hex'), 'without a length: the bytes reversed');
  const short = await decode('aa', 'ff');
  t.strictSame(short.b10, Buffer.from('00aa', 'hex'), 'bytes Debezium did not pad: padded to ceil(n/8)');
  t.strictSame(short.b64, Buffer.from('00000000000000ff', 'hex'));
  t.strictSame((await decode('aa0200', '000000000000000000')).b10, Buffer.from('02aa', 'hex'), 'zero high bytes beyond ceil(n/8) dropped');
  t.strictSame((await decode('aa0201', '00')).b10, Buffer.from('0102aa', 'hex'), 'a non-zero one kept: the target refuses the row with its own error');
});

t.test('NULL columns stay null and values before the epoch stay exact', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'alltypes', allTypes, ['id']);
  const row = (await decodeOne(t, topic.change('c', null, { ...nulls, id: 2, ts_us: -1, ts_ns: -1n, d: -1, price: Buffer.alloc(0) }, { id: 2 }), registry)).after!;
  t.equal(String(row.ts_us), '1969-12-31 23:59:59.999999');
  t.equal(String(row.ts_ns), '1969-12-31 23:59:59.999999');
  t.equal((row.ts_ns as LocalDateTime).nanos, 999);
  t.equal(String(row.d), '1969-12-31');
  t.equal(String(row.price), '0.0000', 'empty unscaled bytes are zero');
  t.equal(row.meta, null);
  t.equal(row.blob, null);
  t.equal(row.zts, null);
});

t.test('int64: a number while exact, a bigint beyond 2^53', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'big', [{ name: 'id', type: c.bigint() }, { name: 'v', type: c.bigint() }], ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const cases: [number | bigint, number | bigint][] = [
    [42, 42],
    // Around the 8-byte varints read in doubles (zig-zag values of 2^49 up to 2^53).
    [2 ** 48, 2 ** 48],
    [-(2 ** 48) - 1, -(2 ** 48) - 1],
    [1_700_000_000_123_456, 1_700_000_000_123_456],
    [-1_700_000_000_123_456, -1_700_000_000_123_456],
    [2 ** 52 - 1, 2 ** 52 - 1],
    [-(2 ** 52), -(2 ** 52)],
    [2 ** 52, 2 ** 52],
    [-(2 ** 52) - 1, -(2 ** 52) - 1],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [-Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
    [2n ** 53n, 2n ** 53n],
    [-(2n ** 63n), -(2n ** 63n)],
    [2n ** 63n - 1n, 9223372036854775807n],
  ];
  for (const [written, expected] of cases) {
    const event = await decoder.decode(topic.change('c', null, { id: 1, v: written }, { id: 1 }));
    t.equal(event!.after!.v, expected, `long ${written}`);
    t.equal(typeof event!.after!.v, typeof expected);
  }
});

t.test('Avro logicalType annotations without Connect names', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'logical', [
    { name: 'id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'at_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'tod', type: { type: 'long', logicalType: 'time-micros' } },
  ], ['id']);
  const row = (await decodeOne(t, topic.change('c', null, {
    id: 1, amount: unscaledToBytes(12345n), at: 1700000000123456, at_ms: 1700000000123, day: 0, tod: 1_000_001,
  }, { id: 1 }), registry)).after!;
  t.equal(String(row.amount), '123.45');
  t.equal(String(row.at), '2023-11-14 22:13:20.123456');
  t.equal(String(row.at_ms), '2023-11-14 22:13:20.123');
  t.equal(String(row.day), '1970-01-01');
  t.equal(String(row.tod), '00:00:01.000001');
});

const messages = [
  { name: 'id', type: c.bigint() },
  { name: 'room_id', type: c.bigint() },
  { name: 'author', type: c.string() },
  { name: 'body', type: c.string(), optional: true },
  { name: 'updated_at', type: c.timestampMicros() },
];

for (const connector of ['mariadb', 'mysql'] as const) {
  t.test(`${connector} connector envelope: op, before, after, key, source, kafka coordinates, headers`, async (t) => {
    const registry = new InMemorySchemaRegistry();
    const topic = RawTopic.table(registry, 'messages', messages, ['id'], connector);
    const before = { id: 9, room_id: 1, author: 'ann', body: 'hi', updated_at: 1700000000000001 };
    const record = topic.change('u', before, { ...before, body: 'hello' }, { id: 9 }, {
      connector, server_id: 4100, gtid: connector === 'mysql' ? null : '0-4100-77', pos: 1234, row: 3, thread: null, snapshot: 'false',
    });
    record.headers = { 'x-trace': 'abc' };
    const event = await new DebeziumDecoder({ schemas: registry }).decode(record);
    t.same(event, {
      op: 'u',
      before: { id: 9, room_id: 1, author: 'ann', body: 'hi', updated_at: new LocalDateTime(1700000000000001n, 6) },
      after: { id: 9, room_id: 1, author: 'ann', body: 'hello', updated_at: new LocalDateTime(1700000000000001n, 6) },
      key: { id: 9 },
      source: {
        connector, name: 'a', db: 'chat', table: 'messages', serverId: 4100, gtid: connector === 'mysql' ? null : '0-4100-77',
        file: 'mysql-bin.000003', pos: 1234, row: 3, tsMs: 1700000000000, snapshot: false, thread: null,
      },
      kafka: { topic: 'a.chat.messages', partition: 2, offset: '7', timestamp: 1700000000500 },
      headers: { 'x-trace': 'abc' },
      columns: event?.columns,
    });
  });
}

t.test('snapshot reads, deletes and composite keys', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'members', [
    { name: 'room_id', type: c.bigint() }, { name: 'user_name', type: c.string() }, { name: 'updated_at', type: c.timestampMicros() },
  ], ['room_id', 'user_name']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const row = { room_id: 3, user_name: 'bo', updated_at: 5 };
  const read = await decoder.decode(topic.change('r', null, row, { room_id: 3, user_name: 'bo' }, { snapshot: 'last' }));
  t.equal(read!.op, 'r');
  t.equal(read!.source.snapshot, 'last');
  const first = await decoder.decode(topic.change('r', null, row, { room_id: 3, user_name: 'bo' }, { snapshot: 'true' }));
  t.equal(first!.source.snapshot, true);
  const del = await decoder.decode(topic.change('d', row, null, { room_id: 3, user_name: 'bo' }));
  t.equal(del!.op, 'd');
  t.equal(del!.after, null);
  t.same(del!.key, { room_id: 3, user_name: 'bo' });
  t.equal(String(del!.before!.updated_at), '1970-01-01 00:00:00.000005');
});

t.test('a Kafka tombstone (null value) decodes to null', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', messages, ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  t.equal(await decoder.decode(topic.record({ id: 9 }, null)), null);
  t.equal(decoder.decodeCached(topic.record({ id: 9 }, null)), null);
});

t.test('decodeCached: undefined until the schemas are fetched, then synchronous', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', messages, ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const record = topic.change('c', null, { id: 1, room_id: 1, author: 'a', body: null, updated_at: 1 }, { id: 1 });
  t.equal(decoder.decodeCached(record), undefined);
  t.equal(decoder.has(topic.valueId), false);
  await decoder.decode(record);
  t.equal(decoder.has(topic.valueId), true);
  t.equal(decoder.decodeCached(record)!.after!.author, 'a');
});

t.test('withoutRowsFrom: the server ids a caller drops come without rows; every other event decodes whole', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', [...messages, { name: 'z', type: c.zonedTimestamp(), optional: true }], ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const options = { withoutRowsFrom: new Set([4100]) };
  const row = { id: 9, room_id: 1, author: 'ann', body: 'hi', updated_at: 1700000000000001, z: null };
  // A row value Tandem could not read: the rows are not read at all, so the echo stays droppable.
  const bad = { ...row, z: 'yesterday' };
  const echo = topic.change('u', bad, bad, { id: 9 }, { server_id: 4100, pos: 77 });
  const thin = await decoder.decode(echo, options);
  t.same(thin, {
    op: 'u', before: null, after: null, key: {},
    source: { connector: 'mariadb', name: 'a', db: 'chat', table: 'messages', serverId: 4100, gtid: '0-1-42', file: 'mysql-bin.000003', pos: 77, row: 0, tsMs: 1700000000000, snapshot: false, thread: 12 },
    kafka: { topic: 'a.chat.messages', partition: 2, offset: '7', timestamp: 1700000000500 },
    headers: {},
    columns: thin?.columns,
  });
  t.ok(thin?.columns?.length, "the table's columns, as for a whole event");
  t.same(decoder.decodeCached(echo, options), thin, 'the same synchronously');
  for (const op of ['c', 'd'] as const) {
    const e = decoder.decodeCached(topic.change(op, op === 'd' ? row : null, op === 'c' ? row : null, { id: 9 }, { server_id: 4100 }), options)!;
    t.same([e.op, e.before, e.after, e.key], [op, null, null, {}], `op ${op} without rows`);
  }

  // The application's own write, and any write without the option: whole.
  const app = decoder.decodeCached(topic.change('u', row, row, { id: 9 }, { server_id: 11 }), options)!;
  t.equal(app.after!.author, 'ann');
  t.same(app.key, { id: 9 });
  t.equal(decoder.decodeCached(topic.change('c', null, row, { id: 9 }, { server_id: 4100 }))!.after!.author, 'ann', 'no option: whole');
  await t.rejects(decoder.decode(echo), /holds a value Tandem cannot read/, 'the same echo read whole is poison');

  // Bytes that do not read are poison either way; a TRUNCATE stays a schema change.
  const good = topic.change('c', null, row, { id: 9 }, { server_id: 4100 });
  await t.rejects(decoder.decode({ ...good, value: good.value!.subarray(0, good.value!.length - 4) }, options), /value is not valid Avro/);
  const truncate = decoder.decodeCached(topic.change('t', null, null, { id: 9 }, { server_id: 4100 }), options)!;
  t.equal(truncate.op, 'ddl');
});

function poisonOf(t: Tap, err: unknown, pattern: RegExp): void {
  t.ok(err instanceof TandemError, 'a TandemError');
  const e = err as TandemError;
  t.equal(e.kind, 'poison');
  t.match(e.message, pattern);
  t.match(e.message, /a\.chat\.messages\[2\]@7/);
  t.same([e.context.topic, e.context.partition, e.context.offset], ['a.chat.messages', 2, '7']);
}

t.test('malformed records are poison, with topic/partition/offset', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', messages, ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const good = topic.change('c', null, { id: 1, room_id: 1, author: 'a', body: null, updated_at: 1 }, { id: 1 });
  const fail = (record: KafkaRecord) => decoder.decode(record).then(() => { throw new Error('decoded'); }, (err: unknown) => err);

  poisonOf(t, await fail({ ...good, value: Buffer.from('{"op":"c"}') }), /starts with byte 123, not the Confluent magic byte 0/);
  poisonOf(t, await fail({ ...good, value: Buffer.from([0, 0, 0]) }), /value is 3 bytes, shorter than the 5-byte Confluent header/);
  poisonOf(t, await fail({ ...good, key: Buffer.from([1, 0, 0, 0, 1]) }), /key starts with byte 1/);
  poisonOf(t, await fail({ ...good, value: good.value!.subarray(0, good.value!.length - 4) }), /value is not valid Avro for schema id 2 \(a\.chat\.messages\.Envelope\): truncated/);
  poisonOf(t, await fail({ ...good, value: frame(999, Buffer.from([0])) }), /schema id 999 is not registered/);

  const notEnvelopeId = registry.registerSync('other-value', { type: 'record', name: 'Plain', fields: [{ name: 'x', type: 'int' }] });
  poisonOf(t, await fail({ ...good, value: frame(notEnvelopeId, Buffer.from([2])) }), /no op, source, before\/after field: not a Debezium change-event envelope/);

  const pgSource = { type: 'record', name: 'Source', namespace: 'io.debezium.connector.postgresql', fields: [{ name: 'connector', type: 'string' }, { name: 'lsn', type: 'long' }] };
  const pgId = registry.registerSync('pg-value', { type: 'record', name: 'Envelope', namespace: 'pg.public.t', fields: [
    { name: 'before', type: ['null', { type: 'record', name: 'Value', fields: [{ name: 'id', type: 'int' }] }], default: null },
    { name: 'after', type: ['null', 'Value'], default: null }, { name: 'source', type: pgSource }, { name: 'op', type: 'string' },
  ] });
  poisonOf(t, await fail({ ...good, value: frame(pgId, Buffer.from([0, 0, 2, 0x61, 0, 2, 0x63])) }), /lacks name, db, ts_ms, server_id, file, pos: only Debezium's MySQL and MariaDB connectors/);

  poisonOf(t, await fail(topic.change('x' as 'c', null, null, { id: 1 })), /unsupported Debezium op "x"/);

  const badZone = RawTopic.table(registry, 'messages', [{ name: 'id', type: c.bigint() }, { name: 'z', type: c.zonedTimestamp() }], ['id']);
  poisonOf(t, await fail(badZone.change('c', null, { id: 1, z: 'yesterday' }, { id: 1 })), /a column of a\.chat\.messages\.Value holds a value Tandem cannot read: not a zoned timestamp/);
});

t.test('a TRUNCATE (op t on the row topic) decodes as a schema change of its table, in its place', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', messages, ['id']);
  const decoded = await new DebeziumDecoder({ schemas: registry }).decode(topic.change('t', null, null, { id: 1 }));
  if (!decoded) throw new Error('a TRUNCATE decodes to an event');
  t.equal(decoded.op, 'ddl');
  t.equal(decoded.source.table, 'messages');
  t.equal(decoded.ddl?.statement, 'TRUNCATE TABLE `messages`');
  t.same(decoded.ddl?.tables.map((x) => [x.type, x.table]), [['TRUNCATE', 'messages']]);
});

t.test('registry failures keep their kind and gain the record coordinates', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, 'messages', messages, ['id']);
  let calls = 0;
  const flaky = {
    getSchema: async (id: number) => {
      calls++;
      if (calls === 1) throw new TandemError('retriable', 'registry unavailable while fetching schema id 2: 503', { stage: 'schema-registry' });
      return registry.getSchema(id);
    },
  };
  const decoder = new DebeziumDecoder({ schemas: flaky });
  const record = topic.change('c', null, { id: 1, room_id: 1, author: 'a', body: null, updated_at: 1 }, { id: 1 });
  const err = await decoder.decode(record).catch((e: unknown) => e);
  t.ok(err instanceof TandemError);
  t.equal((err as TandemError).kind, 'retriable');
  t.equal((err as TandemError).context.offset, '7');
  t.equal((await decoder.decode(record))!.after!.id, 1, 'a later attempt fetches again and decodes');
});
