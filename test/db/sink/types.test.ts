// Each value type round-trips exactly through the sink, and re-applying it is a no-op (so the
// guard compares it exactly too). Every MariaDB column type with its edge values comes from the
// shared fixture (the decoder's unit test and the e2e test use the same values); what "exactly"
// means per type is its `render` and `stored` there.
import t, { type Test } from 'tap';
import { DebeziumDecoder, columnTypes } from '../../../lib/debezium';
import { Decimal, ZonedDateTime, type ChangeEvent, type ColumnValue, type Sink } from '../../../lib/model';
import { InMemorySchemaRegistry } from '../../../lib/registry';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { columnTypeCases, edgeColumns, edgeColumnsSql, edgeRenderSql, edgeRow, edgeRowCount } from '../../unit/debezium/fixtures/column-types';
import { RawTopic } from '../../unit/debezium/fixtures/raw-topic';
import { binlogPosition, rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
t.before(async () => {
  db = await testDb(t);
  await db.admin.query("SET time_zone = '+00:00'");
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

interface Case {
  name: string;
  type: string;
  values: ColumnValue[];
  /** What SELECT returns (text as mysql2 gives it with dateStrings/bigNumberStrings). */
  expected: unknown[];
  select?: (col: string) => string;
}

const cases: Case[] = [
  {
    name: 'DECIMAL',
    type: 'DECIMAL(30,10)',
    values: [Decimal.parse('12345678901234567890.0123456789'), Decimal.parse('-0.0000000001'), new Decimal(5n, 0)],
    expected: ['12345678901234567890.0123456789', '-0.0000000001', '5.0000000000'],
  },
  {
    name: 'TIMESTAMP(6) with time zones',
    type: 'TIMESTAMP(6) NULL',
    values: [new ZonedDateTime('2024-03-31T01:30:00.123456+02:00'), new ZonedDateTime('2024-10-27T02:30:00.000001Z')],
    expected: ['2024-03-30 23:30:00.123456', '2024-10-27 02:30:00.000001'],
  },
  {
    name: 'NULL',
    type: 'VARCHAR(10) NULL',
    values: [null, ''],
    expected: [null, ''],
  },
  {
    name: 'BIGINT UNSIGNED',
    type: 'BIGINT UNSIGNED',
    values: [18_446_744_073_709_551_615n, 9_007_199_254_740_993n],
    expected: ['18446744073709551615', '9007199254740993'],
  },
  ...columnTypeCases.map((k): Case => ({
    name: `${k.column} ${k.sql}`,
    type: k.sql,
    values: k.values.map((v) => v.value),
    expected: k.values.map((v) => v.stored),
    select: k.render,
  })),
];

/**
 * Creates `columns` as table `name` with Tandem's triggers, writes `events` through a sink and
 * checks that `select` then reads `expected`, and that writing them again changes nothing.
 */
async function roundTrip(t: Test, name: string, columns: string, events: ChangeEvent[], select: string, expected: Record<string, unknown>[]): Promise<void> {
  await db.admin.query(`CREATE TABLE chat.${name} (${columns}, updated_at DATETIME(6) NOT NULL) DEFAULT CHARSET=utf8mb4`);
  await installOriginSupport(db.url, [name]);
  const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 1 });
  sinks.push(sink);
  t.same(await sink.write(events), { applied: events.length, skipped: 0, deadLetters: [], tables: { [name]: { applied: events.length, skipped: 0 } } });
  const got = await rows(db.admin, `SELECT ${select} FROM chat.${name} ORDER BY id`);
  t.equal(got.length, expected.length);
  expected.forEach((row, i) => {
    for (const [column, value] of Object.entries(row)) t.strictSame(got[i]?.[column], value, `row ${i + 1}, ${column}`);
  });
  const before = await binlogPosition(db.admin);
  t.same(await sink.write(events), { applied: 0, skipped: events.length, deadLetters: [], tables: { [name]: { applied: 0, skipped: events.length } } }, 'the same values again are a no-op');
  t.equal(await binlogPosition(db.admin), before, 'and log nothing');
}

for (const c of cases) {
  t.test(`${c.name} round-trips exactly`, async (t) => {
    const name = uniqueTable('ty');
    const events = c.values.map((v, i) => upsert(name, { id: i + 1, v, updated_at: ts('2024-01-01 00:00:01') }));
    const select = `${(c.select ?? ((x: string) => x))('v')} AS v`;
    await roundTrip(t, name, `id INT PRIMARY KEY, v ${c.type}`, events, select, c.expected.map((v) => ({ v })));
  });
}

// Issue 11: a BIT(n > 1) value arrived in Debezium's little-endian bytes and MariaDB refused it
// (ER_DATA_TOO_LONG) or stored another number. Here the whole path below Kafka: Debezium's Avro,
// the real decoder, the sink, MariaDB.
t.test('Debezium\'s Avro of every column type, decoded and written by the sink: the column holds the source\'s value', async (t) => {
  const name = uniqueTable('edges');
  const registry = new InMemorySchemaRegistry();
  const topic = RawTopic.table(registry, name, [...edgeColumns, { name: 'updated_at', type: columnTypes.timestampMicros() }], ['id']);
  const decoder = new DebeziumDecoder({ schemas: registry });
  const events: ChangeEvent[] = [];
  for (let k = 0; k < edgeRowCount; k++) {
    const event = await decoder.decode(topic.change('c', null, { id: k, ...edgeRow(k, (v) => v.avro), updated_at: 1_704_067_201_000_000 }, { id: k }));
    events.push({ ...event!, target: { table: name } });
  }
  const expected = Array.from({ length: edgeRowCount }, (_, k) => edgeRow(k, (v) => v.stored));
  await roundTrip(t, name, `id BIGINT PRIMARY KEY, ${edgeColumnsSql}`, events, edgeRenderSql, expected);
});
