// Keys whose JSON text is longer than any index entry: VARCHAR(255) of 4-byte characters, quotes,
// backslashes and control characters (escaped to \u0001, six characters each), and composites of
// such columns. The application's DELETE must succeed, its tombstone must carry the exact key, and
// the sink and carryDeletes must find and rebuild that key (tandem_tombstones is keyed by digest).
import t from 'tap';
import { DebeziumDecoder, DebeziumEncoder } from '../../../lib/debezium';
import { LocalDateTime, tombstonePkHash, type ChangeEvent, type Row, type Sink } from '../../../lib/model';
import { InMemorySchemaRegistry } from '../../../lib/registry';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { carryDeletes } from '../../../lib/stages';
import { runStage } from '../../../lib/testing';
import { del, rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
const CENTURY_MS = 100 * 365 * 86_400_000;

t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

/** `length` characters (code points) cycling through `parts`. */
const cycle = (parts: string[], length: number) => Array.from({ length }, (_, i) => parts[i % parts.length]).join('');
const MIXED = cycle(['😀', '"', '\\', '\u0001', 'é', '\u001f'], 255);

/** The tombstone row of `table` as MariaDB holds it, turned into the change event Debezium would emit. */
async function capturedTombstone(table: string): Promise<{ pk: string; event: ChangeEvent }> {
  const [tomb] = await rows(db.admin, 'SELECT tbl, pk_hash, pk, deleted_at, origin FROM chat.tandem_tombstones WHERE tbl = ?', [table]);
  const after: Row = { tbl: String(tomb.tbl), pk_hash: tomb.pk_hash as Buffer, pk: String(tomb.pk), deleted_at: LocalDateTime.parse(String(tomb.deleted_at)), origin: Number(tomb.origin) };
  const registry = new InMemorySchemaRegistry();
  const record = await new DebeziumEncoder({ registry }).record('a.chat.tandem_tombstones', {
    op: 'c',
    before: null,
    after,
    source: { connector: 'mariadb', name: 'a', db: 'chat', table: 'tandem_tombstones', serverId: db.serverId, gtid: null, file: 'mariadb-bin.000001', pos: 4, row: 0, tsMs: 0, snapshot: false, thread: null },
  });
  const event = await new DebeziumDecoder({ schemas: registry }).decode(record);
  if (!event) throw new Error('the tombstone decoded to nothing');
  return { pk: String(tomb.pk), event };
}

for (const { label, columns, key } of [
  { label: 'VARCHAR(255) of 4-byte characters, quotes, backslashes and control characters', columns: ['k'], key: { k: MIXED } },
  {
    label: 'a composite of three VARCHAR(255) (the most InnoDB indexes), each escaped to its longest',
    columns: ['a', 'b', 'c'],
    key: { a: '\u0001'.repeat(255), b: '"'.repeat(255), c: cycle(['\\', '😀'], 255) },
  },
]) {
  t.test(`a key longer than any index entry: ${label}`, async (t) => {
    const name = uniqueTable('longkey');
    const keyDdl = columns.map((c) => `\`${c}\` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL`).join(', ');
    await db.admin.query(`CREATE TABLE chat.${name} (${keyDdl}, body VARCHAR(20) NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (${columns.join(', ')}))`);
    await installOriginSupport(db.url, [name]);
    const sink = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: columns } }, lingerMs: 1, tombstoneRetentionMs: CENTURY_MS });
    sinks.push(sink);
    const app = await db.connect();
    const values = columns.map((c) => key[c as keyof typeof key] as string);
    await app.query(`INSERT INTO ${name} VALUES (${columns.map(() => '?').join(', ')}, 'app', '2024-01-01 00:00:01')`, values);

    await app.query(`DELETE FROM ${name}`);
    const { pk, event } = await capturedTombstone(name);
    t.ok(pk.length > 512, `the key text (${pk.length} characters) is longer than the former VARCHAR(512)`);
    t.same(JSON.parse(pk), values, 'the tombstone holds the exact key');
    t.same(event.after?.pk_hash, tombstonePkHash(pk), "pk_hash is the key text's SHA-256, the same in SQL and in JS");
    t.same(event.key, { tbl: name, pk_hash: tombstonePkHash(pk) });

    const carried = await runStage(carryDeletes({ tables: [{ name, primaryKey: columns }] }), [event]);
    t.same(carried.deadLetters, []);
    t.same(carried.out[0]?.key, key, 'carryDeletes rebuilds the exact key');
    const deletedAt = carried.out[0]?.deletedAt?.toString() ?? '';

    const incoming = (body: string, at: string) => upsert(name, { ...key, body, updated_at: ts(at) }, { key: columns });
    t.same(await sink.write([incoming('late', '2024-01-01 00:00:02')]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'a late, older upsert is refused by the tombstone');
    t.same(await sink.write([incoming('newer', '2030-01-01 00:00:01')]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'a newer one re-creates the row');
    t.same(await sink.write([{ ...carried.out[0], target: { table: name } }]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 'the carried (older) delete leaves the newer row');
    t.same(await sink.write([del(name, key, '2030-01-01 00:00:02')]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'a newer delete removes it');
    const tombs = await rows(db.admin, 'SELECT pk, deleted_at FROM chat.tandem_tombstones WHERE tbl = ?', [name]);
    t.same(tombs, [{ pk, deleted_at: '2030-01-01 00:00:02.000000' }], `one tombstone for the key, found again by its digest (first ${deletedAt})`);
    t.same(await rows(app, `SELECT COUNT(*) AS n FROM ${name}`), [{ n: 0 }]);
  });
}
