// Rows larger than 1 MB through the real sink: they arrive intact, flushes and statements stay
// under the target's max_allowed_packet (a larger statement makes the server drop the
// connection, which would look like an outage and be retried forever), and a row too large for
// any statement is dead-lettered while the rest of its batch commits.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { ChangeEvent } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { applyUpserts, type ApplyCounts } from '../../../lib/sink/apply';
import { createSinkPool } from '../../../lib/sink/connection';
import { mariadbDialect } from '../../../lib/sink/dialect';
import { prepare, type PreparedUpsert } from '../../../lib/sink/prepare';
import { readTableMeta } from '../../../lib/sink/table-meta';
import type { Sink } from '../../../lib/model';
import { rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

const MiB = 1024 * 1024;
let db: TestDb;
const sinks: Sink[] = [];

t.before(async () => {
  // As the local stack's servers (lib/stack/limits.ts MAX_ROW_BYTES).
  db = await testDb(t, 11, { extraArgs: ['--max-allowed-packet=64M'] });
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

async function blobTable(prefix: string): Promise<string> {
  const name = uniqueTable(prefix);
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, data LONGBLOB NULL, note LONGTEXT NULL, updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  return name;
}

function sinkFor(name: string): Sink {
  const s = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 5, poolSize: 1 });
  sinks.push(s);
  return s;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const row = (id: number, data: Buffer, note: string | null = null) => upsert('', { id, data, note, updated_at: ts('2024-01-01 00:00:01') }, { op: 'c' });
const into = (name: string, e: ChangeEvent): ChangeEvent => ({ ...e, source: { ...e.source, table: name }, target: { table: name } });

async function stored(name: string): Promise<{ id: number; len: number; sha: string; noteSha: string | null }[]> {
  const r = await rows(db.admin, `SELECT id, LENGTH(data) AS len, SHA2(data, 256) AS sha, SHA2(note, 256) AS noteSha FROM chat.${name} ORDER BY id`);
  return r.map((x) => ({ id: Number(x.id), len: Number(x.len), sha: String(x.sha), noteSha: x.noteSha === null ? null : String(x.noteSha) }));
}

/** Sets the server's max_allowed_packet for connections made from now on; restored at teardown. */
async function packetForNewConnections(t: Test, bytes: number): Promise<void> {
  const [before] = await rows(db.admin, 'SELECT @@GLOBAL.max_allowed_packet AS p');
  await db.admin.query(`SET GLOBAL max_allowed_packet = ${bytes}`);
  t.teardown(() => db.admin.query(`SET GLOBAL max_allowed_packet = ${Number(before.p)}`));
}

async function comInsert(): Promise<number> {
  const [r] = await rows(db.admin, "SHOW GLOBAL STATUS LIKE 'Com_insert'");
  return Number(r.Value);
}

t.test('rows of 2 MB and 20 MB (and 5 MB of text full of escapes) arrive intact', async (t) => {
  const name = await blobTable('big');
  const two = randomBytes(2 * MiB);
  const twenty = randomBytes(20 * MiB);
  const text = "it's a \"note\"\n\\ with escapes\0".repeat(Math.ceil((5 * MiB) / 30));
  const sink = sinkFor(name);
  const result = await sink.write([into(name, row(1, two)), into(name, row(2, twenty)), into(name, row(3, Buffer.alloc(0), text))]);
  t.same(result, { applied: 3, skipped: 0, deadLetters: [], tables: { [name]: { applied: 3, skipped: 0 } } });
  t.same(await stored(name), [
    { id: 1, len: two.length, sha: sha(two), noteSha: null },
    { id: 2, len: twenty.length, sha: sha(twenty), noteSha: null },
    { id: 3, len: 0, sha: sha(Buffer.alloc(0)), noteSha: sha(text) },
  ]);
  t.same(await sink.write([into(name, row(2, twenty))]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 're-applied: a no-op');
});

t.test('many 1 MB rows against an 8 MiB max_allowed_packet: split into statements that fit, nothing fails', async (t) => {
  await packetForNewConnections(t, 8 * MiB);
  const name = await blobTable('split');
  const blobs = Array.from({ length: 24 }, () => randomBytes(MiB));
  const sink = sinkFor(name); // a new pool: its sessions have the 8 MiB limit
  const inserts = await comInsert();
  // One write: 48 MB as hex, six times the limit.
  const result = await sink.write(blobs.map((b, i) => into(name, row(i + 1, b))));
  t.same(result, { applied: 24, skipped: 0, deadLetters: [], tables: { [name]: { applied: 24, skipped: 0 } } }, 'no statement was refused, no row dead-lettered');
  const statements = (await comInsert()) - inserts;
  t.ok(statements >= 8, `${statements} INSERT statements for 24 rows of 2 MiB as hex each (at most 3 per 8 MiB)`);
  t.same(
    (await stored(name)).map((r) => r.sha),
    blobs.map(sha),
  );
});

t.test('a row too large as SQL text but not as itself goes as a prepared statement', async (t) => {
  await packetForNewConnections(t, 8 * MiB);
  const name = await blobTable('prepared');
  const small = randomBytes(MiB);
  const big = randomBytes(5 * MiB); // 10 MiB as hex, 5 MiB unescaped
  const sink = sinkFor(name);
  const result = await sink.write([into(name, row(1, small)), into(name, row(2, big)), into(name, row(3, small))]);
  t.same(result, { applied: 3, skipped: 0, deadLetters: [], tables: { [name]: { applied: 3, skipped: 0 } } });
  t.same((await stored(name)).map((r) => r.sha), [sha(small), sha(big), sha(small)], 'intact');
  t.same(await sink.write([into(name, row(2, big))]), { applied: 0, skipped: 1, deadLetters: [], tables: { [name]: { applied: 0, skipped: 1 } } }, 're-applied: the LWW guard holds in a prepared statement too');
  // A re-applied row compares content hashes (same updated_at): HEX() of the blob or JSON_ARRAY()
  // of this text would be larger than max_allowed_packet, an error on every retry of the flush.
  const quotes = '"'.repeat(4_500_000);
  t.same(await sink.write([into(name, row(4, Buffer.alloc(0), quotes))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.same(await sink.write([into(name, row(4, Buffer.alloc(0), quotes)), into(name, row(2, big))]), { applied: 0, skipped: 2, deadLetters: [], tables: { [name]: { applied: 0, skipped: 2 } } }, 'ties decided without overflow');
  t.equal((await stored(name))[3].noteSha, sha(quotes));
});

t.test('a row up to the target\'s max_allowed_packet is written: 40 MB against 64 MiB', async (t) => {
  const name = await blobTable('forty');
  const forty = randomBytes(40 * 1000 * 1000); // 80 MB as hex: only a prepared statement fits
  const sink = sinkFor(name);
  t.same(await sink.write([into(name, row(1, forty))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.same(await stored(name), [{ id: 1, len: forty.length, sha: sha(forty), noteSha: null }]);
});

t.test('a row larger than max_allowed_packet is dead-lettered with the reason; the rest of the batch commits', async (t) => {
  await packetForNewConnections(t, 8 * MiB);
  const name = await blobTable('over');
  const small = randomBytes(MiB);
  const huge = randomBytes(10 * MiB); // larger than 8 MiB even unescaped
  const sink = sinkFor(name);
  const events = [into(name, row(1, small)), into(name, row(2, huge)), into(name, row(3, small))];
  const result = await sink.write(events);
  t.equal(result.applied, 2);
  t.equal(result.deadLetters.length, 1);
  t.equal(result.deadLetters[0].event, events[1], 'the huge row, with its event (and so its Kafka coordinates)');
  t.match(
    result.deadLetters[0].reason,
    /^writing to over_\w+: the row takes 10\.0 MiB even as a prepared statement \(20\.0 MiB as SQL text\), more than the target's max_allowed_packet allows/,
  );
  t.same((await stored(name)).map((r) => r.id), [1, 3]);
  // The sink's session is intact: no dropped connection, the next write goes through.
  t.same(await sink.write([into(name, row(4, small))]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
});

t.test('statement by statement, rows too many for one statement are split in halves until each part fits', async (t) => {
  const name = await blobTable('halves');
  const pool = createSinkPool(db.url, 1);
  t.teardown(() => pool.end());
  const conn = await pool.getConnection();
  t.teardown(() => conn.release());
  await conn.query("SET @tandem_apply = 1, SESSION time_zone = '+00:00'");
  const meta = await readTableMeta(conn, name, 'updated_at');
  const blobs = Array.from({ length: 10 }, () => randomBytes(100 * 1024));
  const prepared = blobs.map((b, i) => prepare(meta, into(name, row(i + 1, b))) as PreparedUpsert);
  const counts: ApplyCounts = { applied: 0, skipped: 0, deadLetters: [] };
  const inserts = await comInsert();
  await conn.beginTransaction();
  await applyUpserts(conn, mariadbDialect, meta, prepared, counts, 450 * 1024, 4100); // two rows (400 KiB as hex) per statement
  await conn.commit();
  t.same(counts, { applied: 10, skipped: 0, deadLetters: [], tables: { [name]: { applied: 10, skipped: 0 } } });
  t.ok((await comInsert()) - inserts >= 5, 'at least five statements');
  t.same(
    (await stored(name)).map((r) => r.sha),
    blobs.map(sha),
  );
});
