// Issue 11, item 9: every MariaDB column type, edge values included, through the live stack both
// ways (MariaDB binlog → Debezium → Avro → Kafka → `tandem run bidirectional` → MariaDB). One
// table holds a column of each type of the shared fixture (the decoder's unit test and the
// sink's db test check the same values); a writes some edge-value rows, b others, each side must
// then hold the other's rows with every column rendered exactly alike, and deletes cross too.
// The `js` column also checks a suspicion (docs/sink.md, "Live, unverified"): Debezium may parse
// a MariaDB JSON column it learnt from binlog DDL as MySQL's binary JSON and send NULL.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { toSqlValue } from '../../lib/sink';
import { columnTypeCases, edgeColumnsSql, edgeRenderSql, edgeRow, edgeRowCount, type EdgeValue } from '../unit/debezium/fixtures/column-types';
import { all, connectBoth, createTestTable, deadLettersFor, DEFAULT_TABLES, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, waitFor } from './fixtures/runtime';

const TABLE = `types_${randomBytes(4).toString('hex')}`;
const COLUMNS = columnTypeCases.map((k) => k.column);
/** Values Debezium cannot carry (e.g. YEAR 0000) stay out; the db test covers them. */
const live = (v: EdgeValue): boolean => v.notLive === undefined;

interface Side {
  name: 'a' | 'b';
  db: Connection;
  /** Ids of the rows this side writes: edge rows k (id k + 1), and one row of NULLs. */
  ids: number[];
}

/** Row `id`'s expected rendering: edge row id - 1, or all NULL past them. */
function expectedRow(id: number): Record<string, string | null> {
  return id <= edgeRowCount ? edgeRow(id - 1, (v) => v.stored, live) : Object.fromEntries(COLUMNS.map((c) => [c, null]));
}

async function insertRows(side: Side): Promise<void> {
  const placeholders = `(?, ${COLUMNS.map(() => '?').join(', ')}, NOW(6))`;
  const values = side.ids.flatMap((id) => {
    const row = id <= edgeRowCount ? edgeRow(id - 1, (v) => toSqlValue(v.value), live) : {};
    return [id, ...COLUMNS.map((c) => row[c] ?? null)];
  });
  await side.db.query(`INSERT INTO ${TABLE} (id, ${COLUMNS.join(', ')}, updated_at) VALUES ${side.ids.map(() => placeholders).join(', ')}`, values);
}

/** Every row of the table, every column rendered exactly, by id. */
async function rendered(db: Connection): Promise<Map<number, RowDataPacket>> {
  return new Map((await all(db, `SELECT id, ${edgeRenderSql} FROM ${TABLE} ORDER BY id`)).map((r) => [Number(r.id), r]));
}

const idsOn = async (db: Connection): Promise<number[]> => (await all(db, `SELECT id FROM ${TABLE} ORDER BY id`)).map((r) => Number(r.id));

t.test('every column type crosses both ways exactly, and deletes cross', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  // TIMESTAMP values are written and rendered in UTC, as the fixture states them.
  for (const db of [a, b]) await db.query("SET time_zone = '+00:00'");
  await createTestTable([a, b], TABLE, `id BIGINT NOT NULL PRIMARY KEY, ${edgeColumnsSql}, updated_at DATETIME(6) NOT NULL`);
  // Triggers are installed by `tandem run` at start, so the table exists first.
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${TABLE}` }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);

  const edgeIds = Array.from({ length: edgeRowCount }, (_, k) => k + 1);
  const sides: Side[] = [
    { name: 'a', db: a, ids: [...edgeIds.filter((id) => id % 2 === 1), edgeRowCount + 1] },
    { name: 'b', db: b, ids: [...edgeIds.filter((id) => id % 2 === 0), edgeRowCount + 2] },
  ];
  for (const side of sides) await insertRows(side);
  const allIds = sides.flatMap((s) => s.ids).sort((x, y) => x - y);
  for (const side of sides) {
    await waitFor(`the other side's rows on ${side.name}`, async () => (await idsOn(side.db)).length === allIds.length);
  }

  const [onA, onB] = await Promise.all([rendered(a), rendered(b)]);
  for (const side of sides) {
    const other = side.name === 'a' ? onB : onA;
    const own = side.name === 'a' ? onA : onB;
    for (const id of side.ids) {
      const expected = expectedRow(id);
      for (const k of columnTypeCases) {
        const where = `${k.column} ${k.sql}, row ${id} written on ${side.name}`;
        // What the writer's column holds, then that the other side holds exactly the same.
        t.strictSame(own.get(id)?.[k.column], expected[k.column], `${where}: stored as expected`);
        t.strictSame(other.get(id)?.[k.column], own.get(id)?.[k.column], `${where}: the same on the other side`);
      }
    }
  }
  t.same(deadLettersFor(proc, TABLE), [], 'no dead letters for the table');

  for (const side of sides) await side.db.query(`DELETE FROM ${TABLE} WHERE id IN (?)`, [side.ids]);
  for (const side of sides) await waitFor(`the other side's deletes on ${side.name}`, async () => (await idsOn(side.db)).length === 0);
  t.same(await idsOn(a), [], 'a is empty');
  t.same(await idsOn(b), [], 'b is empty');
  t.same(deadLettersFor(proc, TABLE), [], 'still no dead letters');
});
