// The tie-break digest computed outside MariaDB (lib/model/content-hash.ts, for the lastWriterWins
// stage and the test driver's in-memory database) is the sink guard's MD5(JSON_ARRAY(...)) byte
// for byte: column by column and over whole rows, for every column type with its edge values (the
// shared column-type fixture) and for the renderings that differ from JavaScript's (string
// escapes, DOUBLE notation, padded and truncated values).
import t, { type Test } from 'tap';
import { Decimal, LocalDateTime, contentHash, parseColumnType, type ColumnValue, type Row } from '../../../lib/model';
import { installOriginSupport, mysqlSink, quoteId } from '../../../lib/sink';
import { contentHashSql } from '../../../lib/sink/dialect';
import { readTableMeta } from '../../../lib/sink/table-meta';
import { columnTypeCases, edgeColumnsSql, edgeRow, edgeRowCount } from '../../unit/debezium/fixtures/column-types';
import { rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
t.before(async () => {
  db = await testDb(t);
});

/** JSON text, U+2028/2029 escaped too: raw, they end a line of TAP output. */
const printable = (text: unknown) => JSON.stringify(text)?.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

/** Writes `rowsIn` through the sink into a new table of `columnsSql`, then compares digests per column and per row. */
async function compareDigests(t: Test, columnsSql: string, rowsIn: Row[]): Promise<void> {
  const name = uniqueTable('digest');
  await db.admin.query(`CREATE TABLE chat.${name} (id BIGINT PRIMARY KEY, ${columnsSql}, updated_at DATETIME(6) NOT NULL) DEFAULT CHARSET=utf8mb4`);
  await installOriginSupport(db.url, [name]);
  const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 1 });
  const events = rowsIn.map((r) => upsert(name, { ...r, updated_at: ts('2024-01-01 00:00:01') }));
  t.same((await sink.write(events)).deadLetters, [], 'every row written');
  await sink.close();
  const conn = await db.connect();
  const meta = await readTableMeta(conn, name, 'updated_at');
  const typed = (columns: string[], row: Row) =>
    columns.map((c) => ({ value: row[c] ?? null, type: parseColumnType(meta.columns.find((m) => m.name === c)?.sqlType ?? '') }));
  const check = async (columns: string[], what: string) => {
    const sql = contentHashSql({ ...meta, dataColumns: columns }, quoteId);
    // The JSON_ARRAY text too, so a difference shows what MariaDB rendered.
    const got = await rows(conn, `SELECT id, ${sql} AS h, CAST(${sql.slice("MD5(".length, -1)} AS CHAR) AS text FROM ${name} ORDER BY id`);
    rowsIn.forEach((row, i) => t.equal(contentHash(typed(columns, row)), got[i]?.h, `${what}, row ${i}: MariaDB rendered ${printable(got[i]?.text)}`));
  };
  for (const c of meta.dataColumns) await check([c], c);
  await check(meta.dataColumns, 'whole rows');
}

t.test('every column type with its edge values', async (t) => {
  const rowsIn = Array.from({ length: edgeRowCount }, (_, k): Row => ({ id: k, ...edgeRow(k, (v) => v.value) }));
  await compareDigests(t, edgeColumnsSql, rowsIn);
  t.equal(columnTypeCases.length > 30, true, 'the fixture covers the column types');
});

/** Values whose MariaDB rendering differs from JavaScript's own, one column of each type. */
const renderings: { sql: string; values: ColumnValue[] }[] = [
  { sql: 'VARCHAR(64)', values: ['"q" \\ /', 'tab\tcr\rbs\bff\f\n', '\u0001\u001f\u007f', '\u2028😀é', ''] },
  { sql: 'DOUBLE', values: [1e15, 1e14, 999999999999999, -1.5e15, 1.23e-15, 1.23e-16, 0.30000000000000004, 1e21, 1e-7, -0, 123456.78901234567] },
  { sql: 'FLOAT', values: [0.1, 1234567, 12345.678, 1e15, 1e-5, -2.5] },
  { sql: 'DECIMAL(12,4)', values: [Decimal.parse('1.5'), Decimal.parse('-0.00005'), Decimal.parse('123.45678'), 7] },
  { sql: 'DATETIME(3)', values: [LocalDateTime.parse('2024-01-01 00:00:01.123456'), LocalDateTime.parse('2024-01-01 00:00:01')] },
  { sql: 'CHAR(8)', values: ['a  ', '  b', ''] },
  { sql: 'BINARY(4)', values: [Buffer.from('01', 'hex'), Buffer.alloc(0)] },
  { sql: 'TINYINT(1)', values: [true, false, 1] },
];

t.test('renderings that differ from JavaScript: escapes, DOUBLE notation, FLOAT digits, padding, truncation, rounding', async (t) => {
  const length = Math.max(...renderings.map((r) => r.values.length));
  const rowsIn = Array.from({ length }, (_, k): Row => ({ id: k, ...Object.fromEntries(renderings.map((r, j) => [`c${j}`, r.values[k] ?? null])) }));
  await compareDigests(t, renderings.map((r, j) => `c${j} ${r.sql} NULL`).join(', '), rowsIn);
});
