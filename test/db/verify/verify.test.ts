// verify against two throwaway MariaDBs: identical databases give 0 differences; each kind of
// drift (missing row either side, one value off by a microsecond / a decimal digit / JSON text /
// NULL vs empty, a column on one side only) is found with its exact values; chunks stay bounded.
import t from 'tap';
import { createConnection, type Connection } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../../lib/stack/mariadb';
import { installOriginSupport } from '../../../lib/sink';
import { checkTombstones, formatReport, verifyDatabases, type VerifyReport } from '../../../lib/verify';

const SCHEMA = [
  `CREATE TABLE items (
     id BIGINT UNSIGNED NOT NULL, price DECIMAL(30,10) NULL, at DATETIME(6) NOT NULL, doc JSON NULL,
     note VARCHAR(50) NULL, raw VARBINARY(16) NULL, PRIMARY KEY (id))`,
  `CREATE TABLE pairs (room BIGINT NOT NULL, day DATE NOT NULL, label VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room, day))`,
];

const firstId = (BigInt('18446744073709551000') - 5000n).toString();

function itemRows(n: number): unknown[][] {
  return Array.from({ length: n }, (_, i) => [
    (BigInt(firstId) + BigInt(i)).toString(),
    `${i}.0000000001`,
    `2024-03-31 01:59:59.${String(i % 1_000_000).padStart(6, '0')}`,
    i % 7 === 0 ? null : JSON.stringify({ i, tags: ['x', i] }),
    i % 5 === 0 ? null : `n|${i}`,
    i % 3 === 0 ? null : Buffer.from([i & 255, 0, 255]),
  ]);
}

async function seed(db: Connection): Promise<void> {
  for (const s of SCHEMA) await db.query(s);
  const rows = itemRows(2500);
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    await db.query(`INSERT INTO items VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?)').join(',')}`, part.flat());
  }
  const pairs = Array.from({ length: 300 }, (_, i) => [i % 10, `2024-01-${String(Math.floor(i / 10) + 1).padStart(2, '0')}`, `p${i}`]);
  await db.query(`INSERT INTO pairs VALUES ${pairs.map(() => "(?, ?, ?, '2024-01-01 00:00:00')").join(',')}`, pairs.flat());
}

const idAt = (i: number) => (BigInt(firstId) + BigInt(i)).toString();

let a: MariaDb;
let b: MariaDb;
let ca: Connection;
let cb: Connection;

t.before(async () => {
  [a, b] = [await startMariaDb({ serverId: 21 }), await startMariaDb({ serverId: 22 })];
  ca = await createConnection({ uri: a.url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  cb = await createConnection({ uri: b.url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  await seed(ca);
  await seed(cb);
});
t.teardown(async () => {
  await ca?.end().catch(() => undefined);
  await cb?.end().catch(() => undefined);
  await a?.stop();
  await b?.stop();
});

const run = (chunkRows = 400): Promise<VerifyReport> => verifyDatabases({ a: a.url, b: b.url, tables: ['items', 'pairs'], chunkRows, maxDiffs: 10 });

/** Applies `change` on b, verifies, then undoes it so each test starts from identical databases. */
async function drift(change: string, undo: string, args: unknown[] = []): Promise<VerifyReport> {
  await cb.query(change, args);
  try {
    return await run();
  } finally {
    await cb.query(undo, args);
  }
}

t.test('identical databases: zero differences, every row counted, chunks bounded', async (t) => {
  const r = await run();
  t.equal(r.differences, 0);
  t.ok(r.ok);
  t.same(r.tables.map((x) => [x.table, x.rowsA, x.rowsB]), [['items', 2500, 2500], ['pairs', 300, 300]]);
  t.equal(r.tables[0].chunks, 7, '2500 rows in chunks of 400: 6 full and 1 partial');
  t.equal(r.tables[0].mismatchedChunks, 0);
  t.match(formatReport(r), /2 tables, 2800 rows on a, 2800 rows on b, 0 differences/);
});

t.test('a row missing on b, another missing on a', async (t) => {
  await cb.query('DELETE FROM items WHERE id = ?', [idAt(17)]);
  await ca.query('DELETE FROM pairs WHERE room = 3 AND day = ?', ['2024-01-04']);
  const r = await run();
  await ca.query("INSERT INTO pairs VALUES (3, '2024-01-04', 'p33', '2024-01-01 00:00:00')");
  await cb.query('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)', itemRows(18)[17]);
  t.equal(r.differences, 2);
  t.equal(r.tables[0].missingInB, 1);
  t.equal(r.tables[1].missingInA, 1);
  t.same(r.diffs[0].key, { id: idAt(17) });
  t.equal(r.diffs[0].kind, 'missing-in-b');
  t.equal(r.diffs[0].a?.price, '17.0000000001');
  t.equal(r.diffs[0].a?.at, '2024-03-31 01:59:59.000017');
  t.equal(r.diffs[0].a?.raw, '1100FF');
  t.same(r.diffs[1].key, { room: '3', day: '2024-01-04' });
  t.equal(r.diffs[1].kind, 'missing-in-a');
  t.equal((await run()).differences, 0, 'clean again after restoring');
});

t.test('one microsecond apart', async (t) => {
  const r = await drift("UPDATE items SET at = at + INTERVAL 1 MICROSECOND WHERE id = ?", "UPDATE items SET at = at - INTERVAL 1 MICROSECOND WHERE id = ?", [idAt(1234)]);
  t.equal(r.differences, 1);
  t.same(r.diffs[0].columns, ['at']);
  t.equal(r.diffs[0].a?.at, '2024-03-31 01:59:59.001234');
  t.equal(r.diffs[0].b?.at, '2024-03-31 01:59:59.001235');
});

t.test('the tenth decimal digit', async (t) => {
  const r = await drift('UPDATE items SET price = price + 0.0000000001 WHERE id = ?', 'UPDATE items SET price = price - 0.0000000001 WHERE id = ?', [idAt(2499)]);
  t.equal(r.differences, 1);
  t.same(r.diffs[0].columns, ['price']);
  t.equal(r.diffs[0].b?.price, '2499.0000000002');
});

t.test('JSON text, NULL versus empty string, binary bytes', async (t) => {
  const doc = await drift(`UPDATE items SET doc = '{"i": 5, "tags": ["x", 5]}' WHERE id = ?`, `UPDATE items SET doc = '{"i":5,"tags":["x",5]}' WHERE id = ?`, [idAt(5)]);
  t.same(doc.diffs.map((d) => d.columns), [['doc']], 'JSON compared as stored text');
  const empty = await drift("UPDATE items SET note = '' WHERE id = ?", 'UPDATE items SET note = NULL WHERE id = ?', [idAt(10)]);
  t.equal(empty.differences, 1);
  t.equal(empty.diffs[0].a?.note, null);
  t.equal(empty.diffs[0].b?.note, '');
  const sep = await drift("UPDATE items SET note = 'n|1' WHERE id = ?", "UPDATE items SET note = NULL WHERE id = ?", [idAt(0)]);
  t.equal(sep.differences, 1, 'a NULL is not the text of a neighbour');
  const raw = await drift('UPDATE items SET raw = UNHEX(\'0200FE\') WHERE id = ?', "UPDATE items SET raw = UNHEX('0200FF') WHERE id = ?", [idAt(2)]);
  t.equal(raw.diffs[0].b?.raw, '0200FE');
});

t.test('a column only one side has is a schema difference', async (t) => {
  const r = await drift("ALTER TABLE pairs ADD COLUMN extra INT NOT NULL DEFAULT 0", 'ALTER TABLE pairs DROP COLUMN extra');
  t.equal(r.differences, 1);
  t.equal(r.tables[1].schema, 'columns differ: extra only on b');
  t.equal(r.tables[1].different, 0, 'the common columns still compared equal');
});

t.test('a table missing on one side', async (t) => {
  await ca.query('CREATE TABLE lonely (id INT PRIMARY KEY)');
  const r = await verifyDatabases({ a: a.url, b: b.url, tables: ['lonely'] });
  await ca.query('DROP TABLE lonely');
  t.equal(r.differences, 1);
  t.equal(r.tables[0].schema, 'table lonely is missing on side b');
});

t.test('b denser than a in a range: chunks split on b, every extra row found', async (t) => {
  const extra = Array.from({ length: 900 }, (_, i) => [i + 100, '2030-01-01', `x${i}`]);
  await cb.query(`INSERT INTO pairs VALUES ${extra.map(() => "(?, ?, ?, '2024-01-01 00:00:00')").join(',')}`, extra.flat());
  const r = await run(100);
  await cb.query('DELETE FROM pairs WHERE room >= 100');
  t.equal(r.tables[1].missingInA, 900);
  t.equal(r.tables[1].rowsB, 1200);
  t.ok(r.tables[1].chunks >= 12, `chunks of at most 100 rows on either side (${r.tables[1].chunks})`);
  t.equal(r.diffs.length, 10, 'only the first 10 shown');
});

t.test('tombstones: a difference a newer identical row makes irrelevant is dominated, others are not', async (t) => {
  // Tandem's table as setup creates it: keyed by (tbl, pk_hash), the digest of the key text `pk`.
  await installOriginSupport(a.url, []);
  await installOriginSupport(b.url, []);
  t.teardown(async () => {
    await ca.query('DROP TABLE tandem_tombstones');
    await cb.query('DROP TABLE tandem_tombstones');
  });
  await ca.query(`INSERT INTO tandem_tombstones (tbl, pk, deleted_at, origin) VALUES ('pairs', '[3, "2024-01-04"]', '2023-12-31 23:59:59.999999', 21), ('pairs', '[99, "2024-01-01"]', '2023-12-31 00:00:00', 21)`);
  await cb.query(`INSERT INTO tandem_tombstones (tbl, pk, deleted_at, origin) VALUES ('pairs', '[3, "2024-01-04"]', '2023-06-01 00:00:00', 22)`);
  const r = await checkTombstones(a.url, b.url, [{ name: 'pairs', primaryKey: ['room', 'day'] }]);
  t.equal(r.report.differences, 2);
  t.equal(r.dominated, 1, 'pairs (3, 2024-01-04) exists on both sides, updated 2024-01-01, newer than both deletes');
  t.same(r.notDominated.map((d) => [d.kind, d.a?.pk]), [['missing-in-b', '[99, "2024-01-01"]']], 'no row newer than the delete: it could still decide a late change');
  await cb.query("UPDATE tandem_tombstones SET deleted_at = '2024-01-01 00:00:00.000001' WHERE pk = '[3, \"2024-01-04\"]'");
  const later = await checkTombstones(a.url, b.url, [{ name: 'pairs', primaryKey: ['room', 'day'] }]);
  t.equal(later.dominated, 0, 'a delete newer than the row is never dominated');
  t.equal(later.notDominated.length, 2);
});
