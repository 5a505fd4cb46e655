// What the application's own writes must record so the other side can follow them (issue 11):
// a primary-key change, an edit only a _ci collation calls equal, and ON DELETE CASCADE / SET NULL
// of referencing tables (InnoDB's cascades are not binlogged). Real MariaDB, triggers installed as
// `make setup` does, the application's statements as the application would run them.
import t from 'tap';
import { installOriginSupport } from '../../../lib/sink';
import { binlogPosition, rowEventsSince, rows, testDb, uniqueTable, type TestDb } from '../fixtures/db';

let db: TestDb;
t.before(async () => {
  db = await testDb(t);
});

const tombstone = async (table: string, pk: string) =>
  (await rows(db.admin, 'SELECT CAST(deleted_at AS CHAR) AS at FROM chat.tandem_tombstones WHERE tbl = ? AND pk = ?', [table, pk]))[0]?.at as string | undefined;

t.test('a primary-key change tombstones the old key and moves the new key past its own tombstone', async (t) => {
  const name = uniqueTable('pkchg');
  await db.admin.query(`CREATE TABLE chat.${name} (id BIGINT PRIMARY KEY, body VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  const app = await db.connect();
  await app.query(`INSERT INTO ${name} VALUES (100, 'x', '2030-01-01 00:00:01'), (101, 'gone', '2030-01-01 00:00:01')`);
  await app.query(`DELETE FROM ${name} WHERE id = 101`); // 101 is tombstoned after 2030-01-01 00:00:01
  const tomb101 = await tombstone(name, '[101]');
  await app.query(`UPDATE ${name} SET id = 101 WHERE id = 100`);
  t.ok((await tombstone(name, '[100]')) !== undefined, 'the old key has a tombstone');
  t.ok(String(await tombstone(name, '[100]')) > '2030-01-01 00:00:01', 'newer than the row it ends');
  const [row] = await rows(db.admin, `SELECT id, CAST(updated_at AS CHAR) AS v FROM chat.${name}`);
  t.equal(Number(row.id), 101);
  t.ok(String(row.v) > String(tomb101), `the row under the new key (${row.v}) is newer than that key's tombstone (${tomb101})`);
});

t.test('an edit a _ci collation calls equal still moves updated_at (case, accent, trailing space); so does any other', async (t) => {
  const name = uniqueTable('ci');
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(20) COLLATE utf8mb4_unicode_ci NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  const app = await db.connect();
  await app.query(`INSERT INTO ${name} VALUES (1, 'abc', '2024-01-01 00:00:00')`);
  const version = async () => String((await rows(db.admin, `SELECT CAST(updated_at AS CHAR) AS v FROM chat.${name}`))[0].v);
  for (const [edit, expected] of [['ABC', '2024-01-01 00:00:00.000001'], ['àBC', '2024-01-01 00:00:00.000002'], ['àBC ', '2024-01-01 00:00:00.000003']]) {
    // The application changes the text and leaves updated_at as it was.
    await app.query(`UPDATE ${name} SET body = ? WHERE id = 1`, [edit]);
    t.equal(await version(), expected, `${JSON.stringify(edit)} is a change`);
  }
  await app.query(`UPDATE ${name} SET body = 'àBC ' WHERE id = 1`);
  t.equal(await version(), '2024-01-01 00:00:00.000004', 'every application update moves the version, even one that writes the same bytes');
  await app.query(`UPDATE ${name} SET body = 'x', updated_at = '2030-01-01 00:00:00' WHERE id = 1`);
  t.equal(await version(), '2030-01-01 00:00:00.000000', 'an update that moves it forward itself keeps its own time');
});

t.test('ON DELETE CASCADE and SET NULL become statements the binlog carries, with tombstones for the deleted children', async (t) => {
  const parent = uniqueTable('room');
  const child = uniqueTable('member');
  const loose = uniqueTable('msg');
  await db.admin.query(`CREATE TABLE chat.${parent} (id INT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)`);
  await db.admin.query(
    `CREATE TABLE chat.${child} (room_id INT NOT NULL, user_id INT NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room_id, user_id), ` +
      `FOREIGN KEY (room_id) REFERENCES ${parent} (id) ON DELETE CASCADE)`,
  );
  await db.admin.query(`CREATE TABLE chat.${loose} (id INT PRIMARY KEY, room_id INT NULL, updated_at DATETIME(6) NOT NULL, FOREIGN KEY (room_id) REFERENCES ${parent} (id) ON DELETE SET NULL)`);
  await installOriginSupport(db.url, [parent, child, loose]);
  const app = await db.connect();
  await app.query(`INSERT INTO ${parent} VALUES (1, 'r1', '2024-01-01 00:00:00'), (2, 'r2', '2024-01-01 00:00:00')`);
  await app.query(`INSERT INTO ${child} VALUES (1, 10, '2024-01-01 00:00:00'), (1, 11, '2024-01-01 00:00:00'), (2, 10, '2024-01-01 00:00:00')`);
  await app.query(`INSERT INTO ${loose} VALUES (5, 1, '2024-01-01 00:00:00'), (6, 2, '2024-01-01 00:00:00')`);
  const from = await binlogPosition(db.admin);
  await app.query(`DELETE FROM ${parent} WHERE id = 1`);
  const events = (await rowEventsSince(db.admin, from)).map((e) => `${e.type} ${e.info.replace('chat.', '')}`);
  const childEvents = events.filter((e) => e.includes(child));
  t.ok(childEvents.length > 0 && childEvents.every((e) => e === `Delete_rows ${child}`), `the children's delete is in the binlog (${childEvents.join(', ')})`);
  t.same(events.filter((e) => e.includes(loose)), [`Update_rows ${loose}`], 'the SET NULL is in the binlog');
  t.same((await rows(db.admin, `SELECT room_id, user_id FROM chat.${child} ORDER BY 1, 2`)).map((r) => [Number(r.room_id), Number(r.user_id)]), [[2, 10]]);
  t.ok((await tombstone(child, '[1, 10]')) !== undefined && (await tombstone(child, '[1, 11]')) !== undefined, 'each deleted child has its tombstone');
  const [nulled] = await rows(db.admin, `SELECT room_id, CAST(updated_at AS CHAR) AS v FROM chat.${loose} WHERE id = 5`);
  t.same([nulled.room_id, String(nulled.v) > '2024-01-01 00:00:00'], [null, true], 'SET NULL moved the version, so it wins on the other side');
  t.ok((await tombstone(parent, '[1]')) !== undefined, "the parent's own tombstone");
});
