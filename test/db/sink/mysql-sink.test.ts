import t from 'tap';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { Decimal, type Sink } from '../../../lib/model';
import { binlogPosition, del, rowEventsSince, rows, testDb, ts, uniqueTable, upsert, waitFor, type TestDb } from '../fixtures/db';

let db: TestDb;
// The tests write 2024 timestamps; keep their tombstones from the purge unless a test says otherwise.
const CENTURY_MS = 100 * 365 * 86_400_000;
const sinks: Sink[] = [];

t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

async function table(prefix: string, body = 'VARCHAR(100) NOT NULL'): Promise<string> {
  const name = uniqueTable(prefix);
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body ${body}, n INT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  return name;
}

function sinkFor(name: string, extra: Partial<Parameters<typeof mysqlSink>[0]> = {}): Sink {
  const s = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 5, tombstoneRetentionMs: CENTURY_MS, ...extra });
  sinks.push(s);
  return s;
}

const row = (id: number, body: string, at: string, n: number | null = null) => ({ id, body, n, updated_at: ts(at) });

async function contents(name: string) {
  return rows(db.admin, `SELECT id, body, n, updated_at FROM chat.${name} ORDER BY id`);
}

t.test('insert, update and delete', async (t) => {
  const name = await table('crud');
  const sink = sinkFor(name);
  t.same(
    await sink.write([upsert(name, row(1, 'one', '2024-01-01 00:00:01'), { op: 'c' }), upsert(name, row(2, 'two', '2024-01-01 00:00:01'), { op: 'c' })]),
    { applied: 2, skipped: 0, deadLetters: [], tables: { [name]: { applied: 2, skipped: 0 } } },
  );
  t.same(await sink.write([upsert(name, row(1, 'uno', '2024-01-01 00:00:02', 7))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.same(await sink.write([del(name, { id: 2 }, '2024-01-01 00:00:03')]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.same(await contents(name), [{ id: 1, body: 'uno', n: 7, updated_at: '2024-01-01 00:00:02.000000' }]);
  const [tomb] = await rows(db.admin, 'SELECT tbl, pk, deleted_at, origin FROM chat.tandem_tombstones WHERE tbl = ?', [name]);
  t.same(tomb, { tbl: name, pk: '[2]', deleted_at: '2024-01-01 00:00:03.000000', origin: 1 });
});

t.test('a re-applied batch changes nothing and logs nothing', async (t) => {
  const name = await table('idem');
  const sink = sinkFor(name);
  const batch = [
    upsert(name, row(1, 'a', '2024-01-01 00:00:01')),
    upsert(name, row(2, 'b', '2024-01-01 00:00:01')),
    upsert(name, row(1, 'a2', '2024-01-01 00:00:02')),
    del(name, { id: 3 }, '2024-01-01 00:00:05'),
  ];
  const first = await sink.write(batch);
  t.equal(first.applied, 3, 'two inserts and one update applied');
  const before = await binlogPosition(db.admin);
  const snapshot = await contents(name);
  const again = await sink.write(batch);
  t.same(again, { applied: 0, skipped: 4, deadLetters: [], tables: { [name]: { applied: 0, skipped: 4 } } }, 'everything refused or a no-op');
  t.equal(await binlogPosition(db.admin), before, 'binlog position and GTID unchanged');
  t.same(await contents(name), snapshot);
});

t.test('last writer wins, both ways', async (t) => {
  const name = await table('lww');
  const sink = sinkFor(name);
  await sink.write([upsert(name, row(1, 'mid', '2024-01-01 00:00:02'))]);
  t.same(await sink.write([upsert(name, row(1, 'old', '2024-01-01 00:00:01.999999'))]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'older refused');
  t.same((await contents(name))[0].body, 'mid');
  t.same(await sink.write([upsert(name, row(1, 'new', '2024-01-01 00:00:02.000001', 5))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'newer by 1µs wins');
  t.same(await contents(name), [{ id: 1, body: 'new', n: 5, updated_at: '2024-01-01 00:00:02.000001' }]);
  // Within one batch, out of order: the newest wins whatever its position.
  await sink.write([upsert(name, row(2, 'v3', '2024-01-01 00:00:03')), upsert(name, row(2, 'v1', '2024-01-01 00:00:01')), upsert(name, row(2, 'v2', '2024-01-01 00:00:02'))]);
  t.same((await contents(name))[1].body, 'v3');
});

t.test('equal updated_at: the greater content hash wins, in either order', async (t) => {
  const a = await table('tie_a');
  const b = await table('tie_b');
  const at = '2024-01-01 00:00:01';
  const sa = sinkFor(a);
  const sb = sinkFor(b);
  await sa.write([upsert(a, row(1, 'left', at))]);
  await sa.write([upsert(a, row(1, 'right', at))]);
  await sb.write([upsert(b, row(1, 'right', at))]);
  await sb.write([upsert(b, row(1, 'left', at))]);
  const [ra] = await contents(a);
  const [rb] = await contents(b);
  t.equal(ra.body, rb.body, 'both orders converge');
  const [h] = await rows(db.admin, "SELECT MD5(JSON_ARRAY('left', NULL)) > MD5(JSON_ARRAY('right', NULL)) AS leftWins");
  t.equal(ra.body, Number(h.leftWins) === 1 ? 'left' : 'right', 'the winner is the one with the greater MD5(JSON_ARRAY(...))');
});

t.test('deletes honour last-writer-wins', async (t) => {
  const name = await table('delww');
  const sink = sinkFor(name);
  await sink.write([upsert(name, row(1, 'kept', '2024-01-01 00:00:03')), upsert(name, row(2, 'gone', '2024-01-01 00:00:03'))]);
  t.same(await sink.write([del(name, { id: 1 }, '2024-01-01 00:00:02')]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'older delete keeps the row');
  t.same(await sink.write([del(name, { id: 2 }, '2024-01-01 00:00:03')]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'deletes win ties');
  t.same((await contents(name)).map((r) => r.id), [1]);
  // Delete vs newer update, both orders, in one batch and across batches.
  await sink.write([del(name, { id: 3 }, '2024-01-01 00:00:04'), upsert(name, row(3, 'newer', '2024-01-01 00:00:05'))]);
  await sink.write([upsert(name, row(4, 'newer', '2024-01-01 00:00:05'))]);
  await sink.write([del(name, { id: 4 }, '2024-01-01 00:00:04')]);
  t.same((await contents(name)).map((r) => [r.id, r.body]), [[1, 'kept'], [3, 'newer'], [4, 'newer']], 'the newer update survives the older delete');
});

t.test('a tombstone prevents resurrection by a late, older upsert', async (t) => {
  const name = await table('tomb');
  const sink = sinkFor(name);
  await sink.write([upsert(name, row(1, 'x', '2024-01-01 00:00:01'))]);
  await sink.write([del(name, { id: 1 }, '2024-01-01 00:00:02', 22)]);
  const before = await binlogPosition(db.admin);
  t.same(await sink.write([upsert(name, row(1, 'late', '2024-01-01 00:00:01.5'))]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } });
  t.same(await sink.write([upsert(name, row(1, 'same time', '2024-01-01 00:00:02'))]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'a tie goes to the delete');
  t.same(await contents(name), []);
  t.equal(await binlogPosition(db.admin), before, 'refused upserts log nothing');
  const [tomb] = await rows(db.admin, 'SELECT deleted_at, origin FROM chat.tandem_tombstones WHERE tbl = ?', [name]);
  t.same(tomb, { deleted_at: '2024-01-01 00:00:02.000000', origin: 22 });
  // An older delete arriving later does not move the tombstone back.
  await sink.write([del(name, { id: 1 }, '2024-01-01 00:00:01', 33)]);
  const [tomb2] = await rows(db.admin, 'SELECT deleted_at, origin FROM chat.tandem_tombstones WHERE tbl = ?', [name]);
  t.same(tomb2, { deleted_at: '2024-01-01 00:00:02.000000', origin: 22 });
  t.same(await sink.write([upsert(name, row(1, 'reborn', '2024-01-01 00:00:02.000001'))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'a newer insert brings it back');
});

t.test('poison rows are dead-lettered; the rest of the batch commits', async (t) => {
  const name = await table('poison', 'VARCHAR(5) NOT NULL');
  const seen: string[] = [];
  const sink = sinkFor(name, { onDeadLetter: (dl) => seen.push(dl.reason) });
  const batch = Array.from({ length: 10 }, (_, i) => upsert(name, row(i + 1, i === 6 ? 'far too long' : `r${i + 1}`, '2024-01-01 00:00:01')));
  batch.push(upsert('not_allowed', row(99, 'x', '2024-01-01 00:00:01')));
  batch.push(del(name, { id: 1 }, undefined));
  const res = await sink.write(batch);
  t.equal(res.applied, 9);
  t.equal(res.deadLetters.length, 3);
  t.match(res.deadLetters[0].reason, /not in this sink's allow-list/);
  t.match(res.deadLetters[1].reason, /without deletedAt/);
  t.match(res.deadLetters[2].reason, /Data too long for column 'body'.*1406/);
  t.equal(res.deadLetters[2].event?.after?.id, 7);
  t.equal(res.deadLetters[2].stage, 'mysql-sink');
  t.same(seen, res.deadLetters.map((d) => d.reason), 'onDeadLetter saw each');
  t.same((await contents(name)).map((r) => r.id), [1, 2, 3, 4, 5, 6, 8, 9, 10]);
});

t.test('an event with a column the target lacks waits for its schema change (nothing dead-lettered)', async (t) => {
  const name = await table('schema');
  const sink = sinkFor(name);
  const err = await sink.write([upsert(name, { ...row(1, 'x', '2024-01-01 00:00:01'), extra: 1 })]).catch((e: unknown) => e);
  t.match(err, { kind: 'retriable', message: /the row has column\(s\) extra, which .* does not have here/ });
  t.match((err as { context: { stage: string } }).context.stage, new RegExp(`schema of ${name}`));
  await db.admin.query(`ALTER TABLE chat.${name} ADD COLUMN extra INT NULL`);
  t.equal((await sink.write([upsert(name, { ...row(1, 'x', '2024-01-01 00:00:01'), extra: 1 })])).applied, 1, 'written once the table has the column');
});

t.test('batching: flush at maxRows, one transaction per flush, small writes grouped', async (t) => {
  const name = await table('batch');
  const sink = sinkFor(name, { maxRows: 1000, lingerMs: 50 });
  const gtidSeq = async () => Number(String((await rows(db.admin, 'SELECT @@gtid_binlog_pos AS g'))[0].g).split('-').pop());
  const start = await gtidSeq();
  const res = await sink.write(Array.from({ length: 2500 }, (_, i) => upsert(name, row(i + 1, `b${i}`, '2024-01-01 00:00:01'))));
  t.same(res, { applied: 2500, skipped: 0, deadLetters: [], tables: { [name]: { applied: 2500, skipped: 0 } } });
  t.equal((await gtidSeq()) - start, 3, '2500 rows at maxRows 1000: three transactions');
  const mid = await gtidSeq();
  const results = await Promise.all([0, 1, 2].map((k) => sink.write(Array.from({ length: 10 }, (_, i) => upsert(name, row(5000 + k * 10 + i, 'g', '2024-01-01 00:00:01'))))));
  t.same(results.map((r) => r.applied), [10, 10, 10], 'each write learns its own count');
  t.equal((await gtidSeq()) - mid, 1, 'three small writes in one linger window: one transaction');
  const [count] = await rows(db.admin, `SELECT COUNT(*) AS c FROM chat.${name}`);
  t.equal(Number(count.c), 2530);
});

t.test('sink writes carry Tandem server id', async (t) => {
  const name = await table('sid');
  const sink = sinkFor(name);
  const from = await binlogPosition(db.admin);
  await sink.write([upsert(name, row(1, 'x', '2024-01-01 00:00:01'))]);
  await sink.write([upsert(name, row(1, 'y', '2024-01-01 00:00:02'))]);
  await sink.write([del(name, { id: 1 }, '2024-01-01 00:00:03')]);
  const events = await rowEventsSince(db.admin, from);
  t.same(
    events.map((e) => [e.type, e.serverId, e.info.split('.').pop()?.replace(/`/g, '')]),
    [
      ['Write_rows', 4100, name],
      ['Update_rows', 4100, name],
      ['Write_rows', 4100, 'tandem_tombstones'],
      ['Delete_rows', 4100, name],
    ],
    'insert, update, tombstone and delete all carry server id 4100',
  );
});

t.test('tombstones older than the retention are purged', async (t) => {
  const name = await table('purge');
  const sink = sinkFor(name, { tombstoneRetentionMs: 86_400_000 });
  const recent = new Date(Date.now() - 60_000).toISOString().replace('T', ' ').replace('Z', '');
  await sink.write([del(name, { id: 1 }, '2024-01-01 00:00:01'), del(name, { id: 2 }, recent)]);
  // The purge runs after the flush, in the background (test/db/sink/tombstone-purge.test.ts).
  const left = await waitFor('the purge after the flush', async () => {
    const pks = (await rows(db.admin, 'SELECT pk FROM chat.tandem_tombstones WHERE tbl = ? ORDER BY pk', [name])).map((r) => r.pk);
    return pks.length === 1 ? pks : undefined;
  });
  t.same(left, ['[2]'], 'the 2024 tombstone is gone, the recent one stays');
});

t.test('a pool of one connection is enough (table definitions are read on the flush connection)', async (t) => {
  const name = await table('pool1');
  const sink = sinkFor(name, { poolSize: 1 });
  t.same(await sink.write([upsert(name, row(1, 'x', '2024-01-01 00:00:01'))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
});

t.test('composite, temporal, unsigned and binary keys: tombstones match the trigger rendering', async (t) => {
  const comp = uniqueTable('ckey');
  await db.admin.query(`CREATE TABLE chat.${comp} (room BIGINT UNSIGNED NOT NULL, at DATETIME(6) NOT NULL, nick VARCHAR(20) NOT NULL, body TEXT, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room, at, nick))`);
  const bin = uniqueTable('bkey');
  await db.admin.query(`CREATE TABLE chat.${bin} (k VARBINARY(16) PRIMARY KEY, body TEXT, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [comp, bin]);
  const sink = mysqlSink({
    url: db.url,
    tables: { [comp]: { primaryKey: ['room', 'at', 'nick'] }, [bin]: { primaryKey: ['k'] } },
    lingerMs: 1,
    tombstoneRetentionMs: CENTURY_MS,
  });
  sinks.push(sink);
  const ckey = { room: 18_446_744_073_709_551_615n, at: ts('2024-01-01 00:00:00.5'), nick: 'é"q' };
  const bkey = { k: Buffer.from([0, 255, 34]) };
  const crow = (body: string, at: string) => upsert(comp, { ...ckey, body, updated_at: ts(at) }, { key: ['room', 'at', 'nick'] });
  const brow = (body: string, at: string) => upsert(bin, { ...bkey, body, updated_at: ts(at) }, { key: ['k'] });
  t.equal((await sink.write([crow('x', '2024-01-01 00:00:01'), brow('x', '2024-01-01 00:00:01')])).applied, 2);
  // Application deletes: the triggers write the tombstones with their own JSON_ARRAY rendering.
  await db.admin.query(`DELETE FROM chat.${comp}`);
  await db.admin.query(`DELETE FROM chat.${bin}`);
  t.same(await sink.write([crow('late', '2024-01-01 00:00:02'), brow('late', '2024-01-01 00:00:02')]), { applied: 0, skipped: 2, deadLetters: [], tables: { [comp]: { applied: 0, skipped: 1 }, [bin]: { applied: 0, skipped: 1 } } }, 'both late upserts hit the tombstones');
  const [c] = await rows(db.admin, `SELECT (SELECT COUNT(*) FROM chat.${comp}) + (SELECT COUNT(*) FROM chat.${bin}) AS n`);
  t.equal(Number(c.n), 0);
});

t.test("Tandem's writes carry its own server id and GTID domain; a server sharing either is refused", async (t) => {
  const name = await table('identity');
  const [server] = await rows(db.admin, 'SELECT @@server_id AS s, @@gtid_domain_id AS d');
  const sink = sinkFor(name, { serverId: 4100, gtidDomainId: 4242 });
  const from = await binlogPosition(db.admin);
  await sink.write([upsert(name, row(1, 'x', '2024-01-01 00:00:01'))]);
  t.same((await rowEventsSince(db.admin, from)).map((e) => e.serverId), [4100], 'the row event carries server id 4100');
  const [pos] = await rows(db.admin, 'SELECT @@gtid_binlog_pos AS g');
  t.match(String(pos.g), /(^|,)4242-4100-\d+(,|$)/, `the transaction is in domain 4242 (${pos.g}), next to the application's`);
  const sameId = sinkFor(name, { serverId: Number(server.s) });
  await t.rejects(sameId.write([upsert(name, row(2, 'y', '2024-01-01 00:00:01'))]), { kind: 'fatal', message: /server_id is \d+, the same as Tandem's \(TANDEM_SERVER_ID\)/ });
  const sameDomain = sinkFor(name, { gtidDomainId: Number(server.d) });
  await t.rejects(sameDomain.write([upsert(name, row(2, 'y', '2024-01-01 00:00:01'))]), { kind: 'fatal', message: /gtid_domain_id is \d+, the same as Tandem's \(TANDEM_GTID_DOMAIN_ID\)/ });
  t.same((await contents(name)).map((r) => r.id), [1], 'nothing written by a refused sink');
});

t.test('BIGINT keys beyond 2^53: insert, update and delete name the exact row', async (t) => {
  const name = uniqueTable('snowflake');
  await db.admin.query(`CREATE TABLE chat.${name} (id BIGINT UNSIGNED PRIMARY KEY, body VARCHAR(100) NOT NULL, n INT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  const sink = sinkFor(name);
  const near = 9007199254740992n; // 2^53: its neighbour 2^53 + 1 is the same double
  const ids = [near, near + 1n, 18446744073709551615n];
  await sink.write(ids.map((id) => upsert(name, { id, body: `v${id}`, n: null, updated_at: ts('2024-01-01 00:00:01') })));
  await sink.write([upsert(name, { id: near + 1n, body: 'edited', n: null, updated_at: ts('2024-01-01 00:00:02') })]);
  t.same(await sink.write([del(name, { id: near + 1n }, '2024-01-01 00:00:03')]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  const left = await rows(db.admin, `SELECT CAST(id AS CHAR) AS id, body FROM chat.${name} ORDER BY ${name}.id`);
  t.same(left.map((r) => [r.id, r.body]), [[String(near), `v${near}`], ['18446744073709551615', 'v18446744073709551615']], 'only 2^53 + 1 is gone, its neighbour untouched');
  const [tomb] = await rows(db.admin, 'SELECT pk FROM chat.tandem_tombstones WHERE tbl = ?', [name]);
  t.equal(tomb.pk, `[${near + 1n}]`, 'the tombstone names the exact key');
});

t.test('a BIGINT UNSIGNED key as Debezium sends it (a Decimal in precise mode) gets the tombstone the triggers write', async (t) => {
  const name = uniqueTable('unsignedkey');
  await db.admin.query(`CREATE TABLE chat.${name} (id BIGINT UNSIGNED PRIMARY KEY, code VARCHAR(20) NOT NULL, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL, UNIQUE KEY (code))`);
  await installOriginSupport(db.url, [name]);
  const sink = sinkFor(name);
  const id = (n: bigint) => new Decimal(n, 0); // bigint.unsigned.handling.mode=precise
  const [a, b, c] = [18446744073709551103n, 18446744073709551104n, 18446744073709551105n];
  const tombstones = async () => (await rows(db.admin, 'SELECT pk, CAST(deleted_at AS CHAR) AS at FROM chat.tandem_tombstones WHERE tbl = ? ORDER BY pk', [name])).map((r) => [r.pk, r.at]);
  await sink.write([upsert(name, { id: id(a), code: 'ca', body: 'a', updated_at: ts('2024-01-01 00:00:01') })]);
  // A delete through the sink, and one by the application (the trigger's own rendering).
  t.equal((await sink.write([del(name, { id: id(a) }, '2024-01-01 00:00:02')])).applied, 1);
  await db.admin.query(`INSERT INTO chat.${name} VALUES (?, 'cb', 'b', '2024-01-01 00:00:01')`, [String(b)]);
  await db.admin.query(`DELETE FROM chat.${name} WHERE id = ?`, [String(b)]);
  const both = await tombstones();
  t.equal(both[0][0], `[${a}]`, 'the sink renders the key as a number, as the trigger does');
  t.equal(both[1][0], `[${b}]`, "the trigger's rendering");
  // The older of two rows claiming one UNIQUE value goes, tombstoned at its own version: the
  // same key text, so the later delete of it is one tombstone, not two.
  await sink.write([upsert(name, { id: id(c), code: 'cc', body: 'newer', updated_at: ts('2024-01-01 00:00:05') })]);
  await sink.write([upsert(name, { id: id(c - 10n), code: 'cc', body: 'older', updated_at: ts('2024-01-01 00:00:04') })]);
  await sink.write([del(name, { id: c - 10n }, '2024-01-01 00:00:06')]);
  t.same(
    (await tombstones()).filter(([pk]) => pk === `[${c - 10n}]`),
    [[`[${c - 10n}]`, '2024-01-01 00:00:06.000000']],
    'one tombstone for the key that lost the UNIQUE value, at its latest time',
  );
  t.equal((await tombstones()).length, 3, 'no tombstone under another rendering of a key');
});

t.test("the server's own sql_mode changes nothing: values arrive intact under NO_BACKSLASH_ESCAPES and ANSI_QUOTES, a bad value is refused", async (t) => {
  const name = await table('sqlmode', 'VARCHAR(10) NOT NULL');
  await db.admin.query("SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'");
  t.teardown(() => db.admin.query('SET GLOBAL sql_mode = DEFAULT'));
  const sink = sinkFor(name);
  const tricky = `a\\'b"c\\`;
  t.same(await sink.write([upsert(name, row(1, tricky, '2024-01-01 00:00:01'))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.equal((await contents(name))[0]?.body, tricky, 'backslashes and quotes stored as they were sent');
  const tooLong = await sink.write([upsert(name, row(2, 'much longer than ten', '2024-01-01 00:00:01')), upsert(name, row(3, 'fits', '2024-01-01 00:00:01'))]);
  t.equal(tooLong.deadLetters.length, 1, 'strict: a value that does not fit is a dead letter, not a truncation');
  t.match(tooLong.deadLetters[0].reason, /Data too long/);
  t.same((await contents(name)).map((r) => r.body), [tricky, 'fits']);
});
