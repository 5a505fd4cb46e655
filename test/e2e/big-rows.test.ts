// Issue 11, rows larger than 1 MB: a 2 MB and a 20 MB row (an attachment in a LONGBLOB) written on
// a and on b cross both ways intact through Debezium, Kafka and `tandem run bidirectional`, and so
// do a 40 MB row and an update of a 20 MB row (its change event carries the row twice). Before,
// the source connector FAILED on RecordTooLargeException (max.request.size, 1 MB) and that whole
// direction stopped. The limits: lib/stack/limits.ts, docs/runtime.md "Rows larger than 1 MB".
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { ConnectClient, failureOf, isRunning } from '../../lib/connect';
import { clientEnv, loadStackConfig } from '../../lib/stack';
import { all, connectBoth, createTestTable, deadLettersFor, DEFAULT_TABLES, runtimeEnv, showLogsOnFailure, startRuntime, stopRuntime, waitFor } from './fixtures/runtime';

const MB = 1000 * 1000;
const TABLE = `blobs_${randomBytes(4).toString('hex')}`;
const connectUrl = clientEnv(loadStackConfig()).TANDEM_CONNECT_URL;
const connectors = ['tandem-source-a', 'tandem-source-b'];

t.setTimeout(10 * 60_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** id → `length:sha256` of what a database holds, computed by the server. */
async function contents(db: Connection): Promise<Record<string, string>> {
  const rows = await all(db, `SELECT id, LENGTH(data) AS len, SHA2(data, 256) AS sha FROM ${TABLE} ORDER BY id`);
  return Object.fromEntries(rows.map((r) => [String(r.id), `${String(r.len)}:${String(r.sha)}`]));
}

t.test('rows of 2 MB and 20 MB cross both ways intact, and the connectors keep running', async (t) => {
  const { a, b } = await connectBoth(t, TABLE);
  await createTestTable([a, b], TABLE, 'id BIGINT NOT NULL PRIMARY KEY, data LONGBLOB NOT NULL, updated_at DATETIME(6) NOT NULL');
  const proc = startRuntime(runtimeEnv({ TANDEM_TABLES: `${DEFAULT_TABLES},${TABLE}`, TANDEM_CONNECT_URL: connectUrl }));
  t.teardown(() => stopRuntime(proc, 'SIGKILL'));
  showLogsOnFailure(t, proc);
  await waitFor('the runtime to run', () => proc.running, 120_000);

  const written: Record<string, Buffer> = {
    1: randomBytes(2 * MB),
    2: randomBytes(20 * MB),
    3: randomBytes(2 * MB),
    4: randomBytes(20 * MB),
    // Near max_allowed_packet (64 MiB): as SQL text (hex) it would not fit, so the application
    // sends it as a prepared statement, and so does Tandem's sink at b.
    5: randomBytes(40 * MB),
  };
  const expected = () => Object.fromEntries(Object.entries(written).map(([id, data]) => [id, `${data.length}:${sha(data)}`]));
  const write = (db: Connection, id: number) => db.query(`INSERT INTO ${TABLE} (id, data, updated_at) VALUES (?, ?, NOW(6))`, [id, written[id]]);
  await write(a, 1);
  await write(a, 2);
  await write(b, 3);
  await write(b, 4);
  await a.execute(`INSERT INTO ${TABLE} (id, data, updated_at) VALUES (?, ?, NOW(6))`, [5, written[5]]);

  const bothHold = async (want: Record<string, string>) => {
    const [onA, onB] = [await contents(a), await contents(b)];
    return JSON.stringify(onA) === JSON.stringify(want) && JSON.stringify(onB) === JSON.stringify(want);
  };
  await waitFor('the five rows, intact, on both sides', () => bothHold(expected()), 240_000);
  t.same(await contents(b), expected(), "b holds a's rows and its own, byte for byte (SHA-256 by the server)");
  t.same(await contents(a), expected(), "a holds b's rows and its own");

  // An update carries the row twice (before and after images): a change event of about 40 MB.
  written[2] = randomBytes(20 * MB);
  await a.query(`UPDATE ${TABLE} SET data = ?, updated_at = NOW(6) WHERE id = 2`, [written[2]]);
  await waitFor("a's update of the 20 MB row on b", () => bothHold(expected()), 240_000);
  t.same(await contents(b), expected(), 'the updated 20 MB row crossed intact');

  const client = new ConnectClient(connectUrl, 30_000);
  for (const name of connectors) {
    const st = await client.status(name);
    t.ok(isRunning(st), `${name} and its task are RUNNING`);
    t.equal(failureOf(st), undefined, `${name} reports no failure`);
  }
  t.same(deadLettersFor(proc, TABLE), [], 'nothing was dead-lettered');
});
