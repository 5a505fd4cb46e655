// tandem_tombstones of the former shape (PRIMARY KEY (tbl, pk), pk VARCHAR(512)) is brought to
// the digest key by installOriginSupport: every row kept with its digest, again and again safely,
// after an interrupted migration, and while the application keeps deleting.
import t from 'tap';
import { tombstonePkHash } from '../../../lib/model';
import { installOriginSupport } from '../../../lib/sink';
import { rows, testDb, uniqueTable, type TestDb } from '../fixtures/db';

let db: TestDb;
t.before(async () => {
  db = await testDb(t);
});

const FORMER_DDL =
  'CREATE TABLE chat.tandem_tombstones (`tbl` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
  '`pk` VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, `deleted_at` DATETIME(6) NOT NULL, `origin` INT UNSIGNED NOT NULL, ' +
  'PRIMARY KEY (`tbl`, `pk`), KEY `tandem_tombstones_deleted_at` (`deleted_at`)) ENGINE=InnoDB';

/** The former table with `n` tombstones (over three tables, one key of 4-byte characters). */
async function formerTable(n: number): Promise<void> {
  await db.admin.query('DROP TABLE IF EXISTS chat.tandem_tombstones');
  await db.admin.query(FORMER_DDL);
  for (let from = 0; from < n; from += 2000) {
    const part = Array.from({ length: Math.min(2000, n - from) }, (_, i) => [`t${(from + i) % 3}`, `[${from + i}]`, '2024-01-01 00:00:00', 11]);
    await db.admin.query(`INSERT INTO chat.tandem_tombstones VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`, part.flat());
  }
  await db.admin.query(`INSERT INTO chat.tandem_tombstones VALUES ('t0', '["😀 \\\\"q\\\\""]', '2024-01-01 00:00:00', 11)`);
}

const shape = async () => (await rows(db.admin, 'SHOW CREATE TABLE chat.tandem_tombstones'))[0]['Create Table'] as string;
const wrongDigests = async () => Number((await rows(db.admin, 'SELECT COUNT(*) AS n FROM chat.tandem_tombstones WHERE pk_hash IS NULL OR pk_hash <> UNHEX(SHA2(pk, 256))'))[0].n);
const count = async () => Number((await rows(db.admin, 'SELECT COUNT(*) AS n FROM chat.tandem_tombstones'))[0].n);

t.test('the former table is re-keyed by digest, every row kept; a second run changes nothing', async (t) => {
  await formerTable(12_001);
  await installOriginSupport(db.url, []);
  const ddl = await shape();
  t.match(ddl, /`pk_hash` binary\(32\) NOT NULL/);
  t.match(ddl, /`pk` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL/);
  t.match(ddl, /PRIMARY KEY \(`tbl`,`pk_hash`\)/);
  t.equal(await count(), 12_002, 'every tombstone kept');
  t.equal(await wrongDigests(), 0, 'every row has the digest of its key text');
  const [emoji] = await rows(db.admin, `SELECT pk, pk_hash FROM chat.tandem_tombstones WHERE pk LIKE '%😀%'`);
  t.same(emoji.pk_hash, tombstonePkHash(String(emoji.pk)), 'the same digest as JS computes for the UTF-8 text');
  await installOriginSupport(db.url, []);
  t.equal(await shape(), ddl, 'idempotent');
  t.equal(await count(), 12_002);
});

t.test('an interrupted migration is finished by the next run', async (t) => {
  await formerTable(3);
  // Stopped right after the first step: the column exists, no trigger fills it yet.
  await db.admin.query('ALTER TABLE chat.tandem_tombstones ADD COLUMN `pk_hash` BINARY(32) NULL AFTER `tbl`');
  await db.admin.query("INSERT INTO chat.tandem_tombstones (tbl, pk, deleted_at, origin) VALUES ('t1', '[99]', '2024-01-02 00:00:00', 11)");
  await installOriginSupport(db.url, []);
  t.match(await shape(), /PRIMARY KEY \(`tbl`,`pk_hash`\)/);
  t.equal(await count(), 5);
  t.equal(await wrongDigests(), 0);
});

t.test('application deletes keep working while the table is migrated', async (t) => {
  await formerTable(30_000);
  const items = uniqueTable('items');
  await db.admin.query(`CREATE TABLE chat.${items} (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)`);
  const n = 400;
  await db.admin.query(`INSERT INTO chat.${items} VALUES ${Array.from({ length: n }, (_, i) => `(${i}, '2024-01-01 00:00:00')`).join(', ')}`);
  // The delete trigger an earlier setup installed: it writes (tbl, pk, deleted_at, origin) only.
  await db.admin.query(
    `CREATE TRIGGER chat.tandem_${items}_bd BEFORE DELETE ON chat.${items} FOR EACH ROW BEGIN IF COALESCE(@tandem_apply, 0) <> 1 THEN ` +
      `INSERT INTO tandem_tombstones (tbl, pk, deleted_at, origin) VALUES ('${items}', JSON_ARRAY(OLD.id), GREATEST(NOW(6), OLD.updated_at + INTERVAL 1 MICROSECOND), @@server_id) ` +
      'ON DUPLICATE KEY UPDATE deleted_at = GREATEST(deleted_at, VALUES(deleted_at)); END IF; END',
  );
  const app = await db.connect();
  let deleted = 0;
  let stop = false;
  const deleting = (async () => {
    for (let id = 0; id < n && !stop; id++) {
      await app.query(`DELETE FROM ${items} WHERE id = ?`, [id]);
      deleted++;
    }
  })();
  await installOriginSupport(db.url, [items]);
  stop = true;
  await deleting;
  t.ok(deleted > 0, `${deleted} application deletes ran, none failed`);
  t.match(await shape(), /PRIMARY KEY \(`tbl`,`pk_hash`\)/);
  t.equal(await count(), 30_001 + deleted, 'a tombstone for each of them');
  t.equal(await wrongDigests(), 0, 'each with its digest, whichever trigger wrote it');
  // A row of its own: the loop above may have deleted all n before the migration ended.
  await app.query(`INSERT INTO ${items} VALUES (?, '2024-01-01 00:00:00')`, [n]);
  await app.query(`DELETE FROM ${items} WHERE id = ?`, [n]);
  t.equal(await count(), 30_002 + deleted, 'and after it, with the new triggers');
});
