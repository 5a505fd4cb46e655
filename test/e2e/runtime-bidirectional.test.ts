// `tandem run bidirectional` as a child process against the local stack (TANDEM_* env for
// addresses): live sync both ways, LWW on concurrent updates, and no loss after a SIGKILL.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

const ROOT = resolve(__dirname, '..', '..');
const env = {
  ...process.env,
  TANDEM_BROKERS: process.env.TANDEM_BROKERS ?? '127.0.0.1:9092',
  TANDEM_GROUP_ID: `tandem-e2e-${randomUUID().slice(0, 8)}`,
};
const urlA = process.env.TANDEM_DB_A_URL ?? 'mysql://tandem:tandem@127.0.0.1:3307/chat';
const urlB = process.env.TANDEM_DB_B_URL ?? 'mysql://tandem:tandem@127.0.0.1:3308/chat';

function start(): ChildProcess {
  // Node itself (not the tsx wrapper), so that signals reach the runtime's process.
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'lib/cli/main.ts'), 'run', 'bidirectional'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('"msg":"running"')) (child as ChildProcess & { running?: boolean }).running = true;
  });
  return child;
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res(child.exitCode);
    child.once('exit', (code) => res(code));
    child.kill(signal);
  });
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function one(db: Connection, sql: string, args: unknown[] = []): Promise<RowDataPacket | undefined> {
  const [rows] = await db.query<RowDataPacket[]>(sql, args);
  return rows[0];
}

const ID = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

t.test('bidirectional topology as a child process', async (t) => {
  const a = await createConnection(urlA);
  const b = await createConnection(urlB);
  t.teardown(async () => {
    await a.end();
    await b.end();
  });
  let child = start();
  t.teardown(() => stop(child, 'SIGKILL'));

  await t.test('insert on a appears on b, update on b appears on a, delete on a leaves b', async (t) => {
    await a.query('INSERT INTO rooms (id, name, updated_at) VALUES (?, ?, NOW(6))', [ID, 'lobby']);
    await waitFor('the room on b', async () => (await one(b, 'SELECT name FROM rooms WHERE id = ?', [ID]))?.name === 'lobby');
    await b.query('UPDATE rooms SET name = ?, updated_at = NOW(6) WHERE id = ?', ['lobby-b', ID]);
    await waitFor('the update on a', async () => (await one(a, 'SELECT name FROM rooms WHERE id = ?', [ID]))?.name === 'lobby-b');
    await a.query('DELETE FROM rooms WHERE id = ?', [ID]);
    await waitFor('the delete on b', async () => (await one(b, 'SELECT id FROM rooms WHERE id = ?', [ID])) === undefined);
    t.pass('synced both ways');
  });

  await t.test('concurrent conflicting updates end with the same LWW winner on both sides', async (t) => {
    const id = ID + 1;
    await a.query("INSERT INTO rooms (id, name, updated_at) VALUES (?, 'c', '2030-01-01 00:00:00')", [id]);
    await waitFor('the room on b', async () => (await one(b, 'SELECT id FROM rooms WHERE id = ?', [id])) !== undefined);
    await Promise.all([
      a.query("UPDATE rooms SET name = 'from-a', updated_at = '2030-01-01 00:00:01.000001' WHERE id = ?", [id]),
      b.query("UPDATE rooms SET name = 'from-b', updated_at = '2030-01-01 00:00:01.000002' WHERE id = ?", [id]),
    ]);
    await waitFor('both sides on the newer version', async () => (await one(a, 'SELECT name FROM rooms WHERE id = ?', [id]))?.name === 'from-b' && (await one(b, 'SELECT name FROM rooms WHERE id = ?', [id]))?.name === 'from-b');
    t.equal((await one(a, 'SELECT name FROM rooms WHERE id = ?', [id]))?.name, 'from-b');
  });

  await t.test('SIGKILL in the middle of a 10k-row burst, restart: both sides identical', async (t) => {
    const room = ID + 2;
    await a.query("INSERT INTO rooms (id, name, updated_at) VALUES (?, 'burst', NOW(6))", [room]);
    const base = ID * 10;
    for (let chunk = 0; chunk < 10; chunk++) {
      const rows = Array.from({ length: 1000 }, (_, i) => [base + chunk * 1000 + i, room, 1, `m${chunk * 1000 + i}`]);
      await a.query('INSERT INTO messages (id, room_id, author_id, body, sent_at, updated_at) VALUES ' + rows.map(() => '(?, ?, ?, ?, NOW(6), NOW(6))').join(','), rows.flat());
    }
    const countB = async () => Number((await one(b, 'SELECT COUNT(*) AS n FROM messages WHERE room_id = ?', [room]))?.n);
    await waitFor('some of the burst on b', async () => (await countB()) > 0);
    await stop(child, 'SIGKILL');
    child = start();
    await waitFor('all 10000 messages on b', async () => (await countB()) === 10000, 240_000);
    const sum = (db: Connection) => one(db, 'SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS(0x1f, id, room_id, body, updated_at))) AS h FROM messages WHERE room_id = ?', [room]);
    const [sa, sb] = await Promise.all([sum(a), sum(b)]);
    t.equal(Number(sb?.n), 10000, 'no row lost');
    t.equal(String(sb?.h), String(sa?.h), 'same content on both sides');
  });

  await t.test('graceful stop on SIGTERM exits 0', async (t) => {
    await waitFor('the runtime to be running', async () => (child as ChildProcess & { running?: boolean }).running === true);
    t.equal(await stop(child, 'SIGTERM'), 0);
  });
});
