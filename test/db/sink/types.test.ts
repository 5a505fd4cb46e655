// Each value type round-trips exactly through the sink, and re-applying it is a no-op (so the
// guard compares it exactly too).
import t from 'tap';
import { Decimal, Json, LocalDate, LocalTime, ZonedDateTime, type ColumnValue, type Sink } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
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
    name: 'DATETIME(3)',
    type: 'DATETIME(3)',
    values: [ts('2024-02-29 23:59:59.999'), ts('1970-01-01 00:00:00.001')],
    expected: ['2024-02-29 23:59:59.999', '1970-01-01 00:00:00.001'],
  },
  {
    name: 'DATETIME(6)',
    type: 'DATETIME(6)',
    values: [ts('2024-02-29 23:59:59.999999'), ts('1969-12-31 23:59:59.000001')],
    expected: ['2024-02-29 23:59:59.999999', '1969-12-31 23:59:59.000001'],
  },
  {
    name: 'TIMESTAMP(6) with time zones',
    type: 'TIMESTAMP(6) NULL',
    values: [new ZonedDateTime('2024-03-31T01:30:00.123456+02:00'), new ZonedDateTime('2024-10-27T02:30:00.000001Z')],
    expected: ['2024-03-30 23:30:00.123456', '2024-10-27 02:30:00.000001'],
  },
  {
    name: 'DATE and TIME',
    type: 'TIME(6)',
    values: [new LocalTime(-(838n * 3600n + 59n * 60n + 58n) * 1_000_000n - 999_999n), new LocalTime(45_296_000_001n)],
    expected: ['-838:59:58.999999', '12:34:56.000001'],
  },
  {
    name: 'DATE',
    type: 'DATE',
    values: [new LocalDate(19_782), new LocalDate(-1)],
    expected: ['2024-02-29', '1969-12-31'],
  },
  {
    name: 'JSON',
    type: 'JSON',
    values: [new Json('{"a": [1, 2.50, "é\\"x"], "b": null}'), new Json('[]')],
    expected: ['{"a": [1, 2.50, "é\\"x"], "b": null}', '[]'],
    select: (c) => `CAST(${c} AS CHAR)`,
  },
  {
    name: 'BLOB',
    type: 'BLOB',
    values: [Buffer.from([0, 255, 1, 39, 92, 0]), Buffer.alloc(0)],
    expected: ['00FF01275C00', ''],
    select: (c) => `HEX(${c})`,
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
  {
    name: 'utf8mb4 text',
    type: 'VARCHAR(20) NOT NULL',
    values: ["emoji 😀 'q'", 'back\\slash'],
    expected: ["emoji 😀 'q'", 'back\\slash'],
  },
];

for (const c of cases) {
  t.test(`${c.name} round-trips exactly`, async (t) => {
    const name = uniqueTable('ty');
    await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, v ${c.type}, updated_at DATETIME(6) NOT NULL)`);
    await installOriginSupport(db.url, [name]);
    const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 1 });
    sinks.push(sink);
    const events = c.values.map((v, i) => upsert(name, { id: i + 1, v, updated_at: ts('2024-01-01 00:00:01') }));
    t.same(await sink.write(events), { applied: c.values.length, skipped: 0, deadLetters: [] });
    const got = await rows(db.admin, `SELECT ${(c.select ?? ((x: string) => x))('v')} AS v FROM chat.${name} ORDER BY id`);
    t.same(got.map((r) => r.v), c.expected);
    const before = await binlogPosition(db.admin);
    t.same(await sink.write(events), { applied: 0, skipped: c.values.length, deadLetters: [] }, 'the same values again are a no-op');
    t.equal(await binlogPosition(db.admin), before, 'and log nothing');
  });
}
