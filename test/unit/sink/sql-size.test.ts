// The sink measures a statement before it sends it (a statement over max_allowed_packet makes the
// server drop the connection). The measure must be mysql2's own, byte for byte.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { format } from 'mysql2';
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime } from '../../../lib/model';
import { toSqlValue, type SqlValue } from '../../../lib/sink/dialect';
import { eventBytes, executeBytes, literalBytes, oversize, statementBytes } from '../../../lib/sink/sql-size';
import { changeEvent } from '../../../lib/testing';

const onWire = (sql: string, values: SqlValue[]) => Buffer.byteLength(format(sql, values));

const samples: SqlValue[] = [
  null,
  0,
  -17,
  3.141592653589793,
  -1.2345678901234567e-300,
  1e21,
  2n ** 63n - 1n,
  -(2n ** 80n),
  '',
  'plain',
  "it's \"quoted\" \\ back\nslash\r\t\0\b\x1a",
  'ünïcödé 日本語 🎉 and an emoji pair 👩‍👩‍👧',
  Buffer.alloc(0),
  randomBytes(1000),
];

t.test('each literal is as long as mysql2 writes it', async (t) => {
  for (const v of samples) t.equal(literalBytes(v), onWire('?', [v]), `${typeof v} ${String(v).slice(0, 20)}`);
});

t.test('a statement is measured exactly, placeholders replaced by their values', async (t) => {
  const sql = 'INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?)';
  const values = samples.slice(0, 14);
  t.equal(statementBytes(sql, values), onWire(sql, values));
  for (let i = 0; i < 50; i++) {
    const random = Array.from({ length: 14 }, () => samples[Math.floor(Math.random() * samples.length)]);
    t.equal(statementBytes(sql, random), onWire(sql, random));
  }
});

t.test('oversize: undefined when it fits, the exact size when it does not', async (t) => {
  const sql = 'SELECT ?, ?, ?';
  const values: SqlValue[] = ['x'.repeat(1000), randomBytes(500), "o'brien"];
  const exact = onWire(sql, values);
  t.equal(oversize(exact, sql, values), undefined, 'exactly the limit fits');
  t.equal(oversize(exact - 1, sql, values), exact, 'one byte less does not');
  t.equal(oversize(1e9, sql, values), undefined);
  // The cheap bound counts a string 3 bytes per character: exactness matters only near the limit.
  t.equal(oversize(exact + 10, sql, ['x'.repeat(1000), randomBytes(500), "o'brien"]), undefined);
});

t.test('an event weighs at least what its values become as literals', async (t) => {
  const blob = randomBytes(2 * 1024 * 1024);
  const row = {
    id: 7,
    name: "a 'quoted' name\n",
    body: 'ü'.repeat(300),
    data: blob,
    price: new Decimal(-123456789n, 2),
    tiny: new Decimal(5n, 10),
    meta: new Json('{"a": "b\\"c"}'),
    day: new LocalDate(20000),
    at: new LocalTime(-3_000_000_000n),
    updated_at: LocalDateTime.parse('2024-01-01 00:00:01.000002'),
    none: null,
    flag: true,
  };
  const e = changeEvent({ table: 't', after: row });
  const literals = Object.entries(row).reduce((n, [c, v]) => n + literalBytes(toSqlValue(v, c)), 0);
  t.ok(eventBytes(e) >= literals, `${eventBytes(e)} >= ${literals}`);
  t.ok(eventBytes(e) < literals + 4096, 'and not much more for a large row');
  t.ok(eventBytes(e) >= 2 * blob.length, 'a Buffer travels as hex: two bytes per byte');
  const gone = changeEvent({ table: 't', key: { id: 7 }, deletedAt: '2024-01-01 00:00:02' });
  t.ok(eventBytes(gone) > 0 && eventBytes(gone) < 1024, 'a delete weighs its key');
});

t.test('a prepared statement sends values unescaped: a Buffer takes its own length, not twice', async (t) => {
  const blob = randomBytes(5 * 1024 * 1024);
  const values: SqlValue[] = [7, 'ünï', blob, null, 2n ** 70n];
  const raw = 8 + Buffer.byteLength('ünï') + blob.length + String(2n ** 70n).length;
  t.ok(executeBytes(values) >= raw, 'at least the values themselves');
  t.ok(executeBytes(values) < raw + 64, 'plus a few bytes of framing');
  t.ok(executeBytes([blob]) < literalBytes(blob) / 2 + 64, 'about half the SQL literal of the same bytes');
});
