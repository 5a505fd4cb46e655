// The shared last-writer-wins cases (test/unit/testing/fixtures/lww-cases.ts) against MariaDB
// through the MySQL sink; test/unit/testing/lww-cases.test.ts runs the same cases against the
// test driver's in-memory database, which must pick the same winners.
import t from 'tap';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { CASE_COLUMNS, runLwwCases, text } from '../../unit/testing/fixtures/lww-cases';
import { rows, testDb, uniqueTable, type TestDb } from '../fixtures/db';

let db: TestDb;
t.before(async () => {
  db = await testDb(t);
});

// Rendered so that `text` reads the same as from the in-memory database's values.
const SELECT = 'label, body, CAST(amount AS CHAR) AS amount, CAST(meta AS CHAR) AS meta, HEX(data) AS data';

runLwwCases(t, async () => {
  const table = uniqueTable('lww');
  const columns = CASE_COLUMNS.map((c) => `${c.name} ${c.type} NULL`).join(', ');
  await db.admin.query(`CREATE TABLE chat.${table} (id BIGINT PRIMARY KEY, ${columns}, updated_at DATETIME(6) NOT NULL) DEFAULT CHARSET=utf8mb4`);
  await installOriginSupport(db.url, [table]);
  // Tombstones of 2024 stay: the purge keeps a century.
  const sink = mysqlSink({ url: db.url, tables: { [table]: { primaryKey: ['id'] } }, lingerMs: 1, tombstoneRetentionMs: 100 * 365 * 86_400_000 });
  return {
    table,
    write: (event) => sink.write([event]),
    row: async () => {
      const [row] = await rows(db.admin, `SELECT ${SELECT} FROM chat.${table} WHERE id = 1`);
      return row && Object.fromEntries(CASE_COLUMNS.map((c) => [c.name, text(row[c.name])]));
    },
    tombstone: async () => {
      const [tomb] = await rows(db.admin, "SELECT CAST(deleted_at AS CHAR) AS d, origin FROM chat.tandem_tombstones WHERE tbl = ? AND pk = '[1]'", [table]);
      return tomb && { deletedAt: String(tomb.d), origin: Number(tomb.origin) };
    },
    close: () => sink.close(),
  };
});
