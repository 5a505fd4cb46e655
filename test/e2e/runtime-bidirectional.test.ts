// `tandem run bidirectional` as a child process against the local stack (TANDEM_* env for
// addresses): live sync both ways, LWW on concurrent updates, and no loss after a SIGKILL.
import t from 'tap';
import { createConnection, type Connection } from 'mysql2/promise';
import { groupPositions } from './fixtures/kafka';
import { brokers, one, runtimeEnv, startRuntime, stopRuntime, urlA, urlB, waitFor, type RuntimeProcess } from './fixtures/runtime';

const env = runtimeEnv({ TANDEM_STATUS_EVERY_MS: '500' });
const start = (): RuntimeProcess => startRuntime(env);
const stop = stopRuntime;

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
    t.equal(await one(a, 'SELECT id FROM rooms WHERE id = ?', [ID]), undefined, 'gone on a');
    t.equal(await one(b, 'SELECT id FROM rooms WHERE id = ?', [ID]), undefined, 'gone on b');
    const tomb = (db: Connection) => one(db, "SELECT CAST(deleted_at AS CHAR) AS at FROM tandem_tombstones WHERE tbl = 'rooms' AND pk = JSON_ARRAY(?)", [ID]);
    await waitFor('the tombstone on b', async () => (await tomb(b)) !== undefined);
    t.equal((await tomb(b))?.at, (await tomb(a))?.at, 'both sides remember the delete at the same time');
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

  await t.test('graceful stop on SIGTERM: commits before disconnecting, says so only when it did, exits 0', async (t) => {
    await waitFor('the runtime to be running', () => child.running);
    // Caught up and quiet (the echoes of its own writes consumed too), so every record is finished.
    let quietSince = Date.now();
    await waitFor('no lag for 3 s', () => {
      const last = [...child.logs].reverse().find((l) => l.msg === 'status');
      const lag = last?.lag as Record<string, number> | undefined;
      if (!lag || Object.values(lag).some((n) => n > 0)) quietSince = Date.now();
      return Date.now() - quietSince > 3000;
    }, 120_000);
    t.equal(await stop(child, 'SIGTERM'), 0);
    const said = child.logs.map((l) => String(l.msg));
    t.notOk(said.some((m) => /commit.*failed/.test(m)), `no failed commit on the way out (${said.filter((m) => /commit/.test(m)).join(' / ')})`);
    t.match(said[said.length - 1], /^stopped cleanly; offsets of \d+ partitions committed$/);
    const owned = (topic: string, partition: number) => child.owned.has(`${topic}[${partition}]`);
    const positions = (await groupPositions(brokers, String(env.TANDEM_GROUP_ID), (topic) => [...child.owned].some((p) => p.startsWith(`${topic}[`)))).filter((p) => owned(p.topic, p.partition));
    t.ok(positions.length > 0, 'the group owned partitions');
    t.same(positions.filter((p) => p.committed !== p.end), [], 'every owned partition is committed up to its end');
  });
});
