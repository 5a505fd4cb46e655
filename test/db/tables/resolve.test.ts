// TANDEM_TABLES=* on real MariaDB: which tables of two databases Tandem syncs, and why the others
// are left alone (said once at start by tandem run, verify and doctor).
import t from 'tap';
import { resolveAllTables, syncability, syncableTables } from '../../../lib/tables';
import { testDb } from '../fixtures/db';

t.test('a table is synced when both sides have it with a primary key and updated_at DATETIME(6)/TIMESTAMP(6) NOT NULL', async (t) => {
  const db = await testDb(t);
  const url = (name: string) => db.url.replace(/\/chat$/, `/${name}`);
  for (const side of ['ra', 'rb']) {
    await db.admin.query(`CREATE DATABASE ${side}`);
    await db.admin.query(`CREATE TABLE ${side}.good (id BIGINT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
    await db.admin.query(`CREATE TABLE ${side}.pair (a INT, b INT, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (a, b))`);
    await db.admin.query(`CREATE TABLE ${side}.nokey (x INT, updated_at DATETIME(6) NOT NULL)`);
    await db.admin.query(`CREATE TABLE ${side}.coarse (id INT PRIMARY KEY, updated_at DATETIME NOT NULL)`);
    await db.admin.query(`CREATE TABLE ${side}.nullable (id INT PRIMARY KEY, updated_at DATETIME(6) NULL)`);
    await db.admin.query(`CREATE TABLE ${side}.tandem_tombstones (tbl VARCHAR(64), pk_hash BINARY(32), PRIMARY KEY (tbl, pk_hash))`);
  }
  await db.admin.query('CREATE TABLE ra.only_a (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)');
  await db.admin.query('CREATE TABLE ra.keys_differ (id INT PRIMARY KEY, k INT NOT NULL, updated_at DATETIME(6) NOT NULL)');
  await db.admin.query('CREATE TABLE rb.keys_differ (id INT NOT NULL, k INT NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (k))');

  const r = await resolveAllTables({ id: 'a', url: url('ra') }, { id: 'b', url: url('rb') });
  t.same(r.tables, [{ name: 'good', primaryKey: ['id'] }, { name: 'pair', primaryKey: ['a', 'b'] }], 'the two syncable tables, keys read from the catalog');
  const why = Object.fromEntries(r.refused.map((x) => [x.table, x.reason]));
  t.match(why, {
    nokey: /on a it has no primary key; on b it has no primary key/,
    coarse: /updated_at is datetime, not DATETIME\(6\) or TIMESTAMP\(6\)/,
    nullable: /updated_at is nullable/,
    only_a: /exists on a only .* create it on b too/,
    keys_differ: /primary keys differ \(a: id; b: k\)/,
  });
  t.notOk('tandem_tombstones' in why || r.tables.some((x) => x.name === 'tandem_tombstones'), "Tandem's own table is neither synced nor reported");
  t.same(await syncableTables(url('ra')), ['good', 'keys_differ', 'only_a', 'pair'], 'one database alone: what tandem setup installs triggers on');
  const conn = await db.connect();
  await conn.query('USE ra');
  t.same(await syncability(conn, 'good'), { ok: true, spec: { name: 'good', primaryKey: ['id'] } });
  t.match(await syncability(conn, 'missing'), { ok: false, reason: /no primary key, it has no updated_at column/ }, 'a table that does not exist is not syncable, with the reason');
});
