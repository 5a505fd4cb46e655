// tandem doctor's table-level findings on two real MariaDBs: each provoked by a table made for it
// and each passing on a table made right. Where a finding says how Tandem behaves (unique values,
// cascades, long keys), the behaviour is shown here too, so the text stays true.
import t from 'tap';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Finding } from '../../../lib/doctor';
import { CASCADE_HANDLING } from '../../../lib/doctor/checks/foreign-keys';
import { UNIQUE_HANDLING } from '../../../lib/doctor/checks/unique-keys';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { rowEventsSince, binlogPosition, ts, uniqueTable, upsert } from '../fixtures/db';
import { findingsOf, setGlobals, startPair, type Pair } from '../fixtures/doctor';

let pair: Pair;
t.before(async () => {
  pair = await startPair(t);
});

const both = async (sql: string) => {
  await pair.rootA.query(sql);
  await pair.rootB.query(sql);
};
const levels = (findings: Finding[]) => findings.map((f) => `${f.level} ${f.check}`);
const tableFindings = (findings: Finding[], table: string) => findings.filter((f) => f.subject === `table ${table}`);
const doctorOn = async (tables: string, env: Record<string, string> = {}) => pair.doctor({ TANDEM_TABLES: tables, ...env });
const STD = 'id BIGINT NOT NULL PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL';

t.test('a table made right: columns, key, updated_at and key length are ok, nothing else is said', async (t) => {
  const name = uniqueTable('good');
  await both(`CREATE TABLE ${name} (${STD})`);
  const found = tableFindings(await doctorOn(name), name);
  t.same(levels(found), ['ok columns', 'ok primary key', 'ok updated_at', 'ok key length']);
});

t.test('columns: a table missing on one side, on both, columns that differ', async (t) => {
  const onlyA = uniqueTable('onlya');
  await pair.rootA.query(`CREATE TABLE ${onlyA} (${STD})`);
  const [missing] = findingsOf(await doctorOn(onlyA), 'columns');
  t.same([missing.level, missing.message], ['refused', 'missing on b']);
  t.match(missing.fix, new RegExp(`create it on b with the definition it has on a \\(SHOW CREATE TABLE ${onlyA} there\\)`));
  const [neither] = findingsOf(await doctorOn('nowhere'), 'columns');
  t.same([neither.level, neither.message], ['refused', 'exists on neither a nor b (database chat)']);

  const differ = uniqueTable('differ');
  await pair.rootA.query(`CREATE TABLE ${differ} (id BIGINT PRIMARY KEY, body VARCHAR(100) NOT NULL, n INT, updated_at DATETIME(6) NOT NULL)`);
  await pair.rootB.query(`CREATE TABLE ${differ} (id BIGINT PRIMARY KEY, n INT, body TEXT NOT NULL, updated_at DATETIME(6) NOT NULL, extra INT NULL)`);
  const found = findingsOf(await doctorOn(differ), 'columns');
  t.same(levels(found), ['refused columns', 'warning columns']);
  t.equal(found[0].message, 'body is varchar(100) on a, text on b; the order differs (a: id, body, n, updated_at; b: id, n, body, updated_at)');
  t.match(found[1].message, /^only on b: extra: Tandem adds such a column on the other side when the first row carrying it arrives/);
});

t.test('primary key: none on one side, or not the one TANDEM_TABLES names', async (t) => {
  const noKey = uniqueTable('nokey');
  await pair.rootA.query(`CREATE TABLE ${noKey} (${STD})`);
  await pair.rootB.query(`CREATE TABLE ${noKey} (id BIGINT NOT NULL, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
  const [none] = findingsOf(await doctorOn(noKey), 'primary key');
  t.equal(none.level, 'refused');
  t.equal(none.message, 'on b: no primary key; TANDEM_TABLES expects (id) (the default when no :col+col is given)');
  t.equal(none.fix, `ALTER TABLE \`${noKey}\` ADD PRIMARY KEY (\`id\`) on b`);

  const pairKey = uniqueTable('pairkey');
  await both(`CREATE TABLE ${pairKey} (room_id BIGINT NOT NULL, user_id BIGINT NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room_id, user_id))`);
  const [wrong] = findingsOf(await doctorOn(pairKey), 'primary key');
  t.equal(wrong.level, 'refused');
  t.match(wrong.message, /on a and b: primary key \(room_id, user_id\); TANDEM_TABLES expects \(id\)/);
  t.equal(wrong.fix, `set TANDEM_TABLES to list it as ${pairKey}:room_id+user_id, or give both sides the primary key (id)`);
  t.equal(findingsOf(await doctorOn(`${pairKey}:room_id+user_id`), 'primary key')[0].level, 'ok', 'named in TANDEM_TABLES: ok');
  t.equal(findingsOf(await doctorOn(`${pairKey}:user_id+room_id`), 'primary key')[0].level, 'refused', 'the key order counts');
});

t.test('updated_at: too few digits, nullable, missing, another type; the fix given makes it ok', async (t) => {
  const cases = [
    { def: 'updated_at DATETIME(3) NOT NULL', message: /updated_at is datetime\(3\): the \+1 µs Tandem's triggers add to a local write would be rounded away/ },
    { def: 'updated_at TIMESTAMP(6) NULL', message: /updated_at is nullable: a NULL version cannot be ordered/ },
    { def: 'other_at DATETIME(6) NOT NULL', message: /no updated_at column/ },
    { def: 'updated_at BIGINT NOT NULL', message: /updated_at is bigint\(20\), not DATETIME\(6\) or TIMESTAMP\(6\)/ },
  ];
  for (const c of cases) {
    const name = uniqueTable('ver');
    await both(`CREATE TABLE ${name} (id BIGINT PRIMARY KEY, ${c.def})`);
    await both(`INSERT INTO ${name} (id) VALUES (1)`).catch(() => undefined);
    const [f] = findingsOf(await doctorOn(name), 'updated_at');
    t.equal(f.level, 'refused', c.def);
    t.match(f.message, c.message);
    t.match(f.message, /^on a and b: /);
    // The fix, as given, repairs the table (a BIGINT of microseconds is not converted: left out).
    if (/BIGINT/.test(c.def)) continue;
    const sql = f.fix?.replace(/^on a and b: /, '').replace(/ \(the application then writes NOW\(6\) on every change\)$/, '') ?? '';
    await both(sql);
    t.equal(findingsOf(await doctorOn(name), 'updated_at')[0].level, 'ok', `after: ${sql}`);
  }
  const name = uniqueTable('ts6');
  await both(`CREATE TABLE ${name} (id BIGINT PRIMARY KEY, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`);
  t.equal(findingsOf(await doctorOn(name), 'updated_at')[0].level, 'ok', 'TIMESTAMP(6) NOT NULL is fine');
});

t.test('AUTO_INCREMENT: ok with disjoint series, refused when they can meet', async (t) => {
  const name = uniqueTable('ai');
  await both(`CREATE TABLE ${name} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, body VARCHAR(10), updated_at DATETIME(6) NOT NULL)`);
  const [disjoint] = findingsOf(await doctorOn(name), 'auto_increment');
  t.equal(disjoint.level, 'ok');
  t.match(disjoint.message, /id is AUTO_INCREMENT and the series are disjoint \(a 1, 3, 5, …; b 2, 4, 6, …\)/);

  // What the server really generates agrees.
  await pair.rootA.query(`INSERT INTO ${name} (body, updated_at) VALUES ('x', NOW(6)), ('y', NOW(6))`);
  await pair.rootB.query(`INSERT INTO ${name} (body, updated_at) VALUES ('x', NOW(6)), ('y', NOW(6))`);
  const ids = async (c: Connection) => (await c.query<RowDataPacket[]>(`SELECT id FROM ${name} ORDER BY id`))[0].map((r) => Number(r.id));
  t.same([await ids(pair.rootA), await ids(pair.rootB)], [[1, 3], [2, 4]]);

  await setGlobals(t, pair.rootB, { auto_increment_offset: 1 });
  const [same] = findingsOf(await doctorOn(name), 'auto_increment');
  t.equal(same.level, 'refused');
  t.match(same.message, new RegExp(`id is AUTO_INCREMENT and both servers can generate the same value \\(a auto_increment_increment=2, auto_increment_offset=1; b auto_increment_increment=2, auto_increment_offset=1\\)`));
  t.match(same.fix, /auto_increment_increment=2 on both, auto_increment_offset=1 on a and 2 on b.*application choose the ids \(Snowflake, UUID\)/);
  await setGlobals(t, pair.rootA, { auto_increment_increment: 1 });
  await setGlobals(t, pair.rootB, { auto_increment_increment: 1 });
  t.equal(findingsOf(await doctorOn(name), 'auto_increment')[0].level, 'refused', 'both increment 1');
});

t.test('UNIQUE index: a finding that says what happens, and it does', async (t) => {
  const name = uniqueTable('uq');
  await both(`CREATE TABLE ${name} (id BIGINT PRIMARY KEY, email VARCHAR(50) NOT NULL, note VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL, UNIQUE KEY uq_email (email))`);
  const [f] = findingsOf(await doctorOn(name), 'unique index');
  t.equal(f.level, 'ok');
  t.equal(f.message, `uq_email (email): ${UNIQUE_HANDLING}`);

  // b holds x@ under key 1; a's newer row claiming x@ under key 2 arrives at b's sink.
  await pair.rootB.query(`INSERT INTO ${name} VALUES (1, 'x@', 'b', '2024-01-01 00:00:01')`);
  await installOriginSupport(pair.b.url, [name]);
  const sink = mysqlSink({ url: pair.b.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 1 });
  t.teardown(() => sink.close());
  const result = await sink.write([upsert(name, { id: 2, email: 'x@', note: 'a', updated_at: ts('2024-01-01 00:00:02') }, { op: 'c' })]);
  t.same(result.deadLetters, [], 'nothing is dead-lettered');
  t.same(result.audits?.map((a) => [a.index, a.key]), [['uq_email', { id: '1' }]], 'the older row is audited with the index');
  const [rows] = await pair.rootB.query<RowDataPacket[]>(`SELECT id, email, note FROM ${name}`);
  t.same(rows, [{ id: 2, email: 'x@', note: 'a' }], 'the newer row keeps the value under its own key; the older row is removed');
});

t.test('foreign keys: a cascade is handled (ok), a reference to a table not synced is a warning, a plain reference is ok', async (t) => {
  const parent = uniqueTable('parent');
  const child = uniqueTable('child');
  const plain = uniqueTable('plain');
  const outside = uniqueTable('outside');
  await both(`CREATE TABLE ${parent} (${STD})`);
  await both(`CREATE TABLE ${outside} (id BIGINT PRIMARY KEY)`);
  await both(`CREATE TABLE ${child} (id BIGINT PRIMARY KEY, parent_id BIGINT NULL, updated_at DATETIME(6) NOT NULL, CONSTRAINT fk_c_p FOREIGN KEY (parent_id) REFERENCES ${parent} (id) ON DELETE CASCADE)`);
  await both(`CREATE TABLE ${plain} (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL, outside_id BIGINT NULL, updated_at DATETIME(6) NOT NULL, ` +
    `CONSTRAINT fk_pl_p FOREIGN KEY (parent_id) REFERENCES ${parent} (id), CONSTRAINT fk_pl_o FOREIGN KEY (outside_id) REFERENCES ${outside} (id))`);
  const findings = await doctorOn(`${parent},${child},${plain}`);
  const [cascade] = findingsOf(findings, 'foreign key', `table ${child}`);
  t.equal(cascade.level, 'ok');
  t.equal(cascade.message, `fk_c_p (parent_id) → ${parent} (id) ON DELETE CASCADE: ${CASCADE_HANDLING}`);
  t.same(levels(findingsOf(findings, 'foreign key', `table ${plain}`)), ['warning foreign key', 'ok foreign key'], 'in constraint name order');
  t.match(findingsOf(findings, 'foreign key', `table ${plain}`)[0].message, new RegExp(`fk_pl_o \\(outside_id\\) → ${outside} \\(id\\) references ${outside}, which Tandem does not sync`));

  // What the finding says: on a, the child's delete is in the binlog with its tombstone, so it
  // reaches b as a delete of its own (Tandem's delete of the parent there cascades nothing).
  await installOriginSupport(pair.a.url, [parent, child]);
  await installOriginSupport(pair.b.url, [parent, child]);
  await both(`INSERT INTO ${parent} VALUES (1, 'p', '2024-01-01 00:00:01')`);
  await both(`INSERT INTO ${child} VALUES (10, 1, '2024-01-01 00:00:01')`);
  const from = await binlogPosition(pair.rootA);
  await pair.rootA.query(`DELETE FROM ${parent} WHERE id = 1`);
  t.same((await pair.rootA.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${child}`))[0][0].n, 0, 'the child is gone on a');
  const deleted = (await rowEventsSince(pair.rootA, from)).filter((e) => e.type === 'Delete_rows').map((e) => e.info);
  t.same(deleted, [`chat.${child}`, `chat.${parent}`], "the child's delete is in the binlog, before the parent's");
  const [tombs] = await pair.rootA.query<RowDataPacket[]>('SELECT tbl FROM tandem_tombstones ORDER BY tbl');
  t.same(tombs.map((r) => r.tbl).sort(), [child, parent].sort(), 'both deletes left a tombstone');
});

t.test('key length: any key InnoDB indexes whole is ok (tombstones hold its text, found by digest); a TEXT prefix key warns, and a row whose key text outgrows pk cannot be deleted', async (t) => {
  const long = uniqueTable('longkey');
  await both(`CREATE TABLE ${long} (code VARCHAR(600) NOT NULL PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  const [f] = findingsOf(await doctorOn(`${long}:code`), 'key length');
  t.equal(f.level, 'ok');
  t.match(f.message, /key \(code varchar\(600\)\) renders as at most 3604 bytes of JSON, every character escaped; tandem_tombstones.pk holds 65535/);
  await installOriginSupport(pair.a.url, [long]);
  await pair.rootA.query(`INSERT INTO ${long} VALUES (?, NOW(6))`, ['"'.repeat(600)]);
  await pair.rootA.query(`DELETE FROM ${long}`);
  const [[tomb]] = await pair.rootA.query<RowDataPacket[]>('SELECT CHAR_LENGTH(pk) AS n FROM tandem_tombstones WHERE tbl = ?', [long]);
  t.equal(Number(tomb.n), 1204, "the application's delete is recorded, its key text 1204 characters long");

  const prefix = uniqueTable('prefixkey');
  await both(`CREATE TABLE ${prefix} (body TEXT NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (body(100)))`);
  const [w] = findingsOf(await doctorOn(`${prefix}:body`), 'key length');
  t.equal(w.level, 'warning');
  t.match(w.message, /key \(body text\) can render as an unbounded number of bytes of JSON; tandem_tombstones.pk holds 65535/);
  await installOriginSupport(pair.a.url, [prefix]);
  await pair.rootA.query(`INSERT INTO ${prefix} VALUES (?, NOW(6))`, ['k'.repeat(65_535)]);
  await t.rejects(pair.a.admin().then(async (c) => {
    try {
      await c.query('USE chat');
      await c.query(`DELETE FROM ${prefix}`);
    } finally {
      await c.end();
    }
  }), /Data too long for column 'pk'/, "the application's delete is refused by Tandem's trigger");

  const fits = uniqueTable('fitkey');
  await both(`CREATE TABLE ${fits} (room BIGINT NOT NULL, day DATE NOT NULL, code VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (room, day, code))`);
  const [ok] = findingsOf(await doctorOn(`${fits}:room+day+code`), 'key length');
  t.equal(ok.level, 'ok');
  t.match(ok.message, /renders as at most 640 bytes/);
  const [[{ j }]] = await pair.rootA.query<RowDataPacket[]>("SELECT CAST(JSON_ARRAY(-9223372036854775808, CAST('2024-01-01' AS DATE), REPEAT(CHAR(1), 100)) AS CHAR) AS j");
  t.equal(Buffer.byteLength(String(j)), 640, 'the bound is what MariaDB renders, every character escaped');
});

t.test("triggers: another trigger is a warning unless it checks @tandem_apply; Tandem's own are not mentioned", async (t) => {
  const name = uniqueTable('trg');
  await both(`CREATE TABLE ${name} (${STD})`);
  await installOriginSupport(pair.a.url, [name]);
  await installOriginSupport(pair.b.url, [name]);
  t.same(findingsOf(await doctorOn(name), 'trigger'), [], "Tandem's three triggers are Tandem's");
  await pair.rootA.query(`CREATE TRIGGER ${name}_audit AFTER UPDATE ON ${name} FOR EACH ROW SET @audited = NEW.id`);
  await pair.rootB.query(`CREATE TRIGGER ${name}_guarded AFTER UPDATE ON ${name} FOR EACH ROW BEGIN IF COALESCE(@tandem_apply, 0) <> 1 THEN SET @audited = NEW.id; END IF; END`);
  const found = findingsOf(await doctorOn(name), 'trigger');
  t.same(levels(found), ['warning trigger', 'ok trigger']);
  t.match(found[0].message, new RegExp(`${name}_audit \\(AFTER UPDATE\\) on a is not Tandem's and does not check @tandem_apply`));
  t.match(found[0].fix, /IF COALESCE\(@tandem_apply, 0\) <> 1 THEN/);
  t.match(found[1].message, new RegExp(`${name}_guarded \\(AFTER UPDATE\\) on b checks @tandem_apply`));
});
