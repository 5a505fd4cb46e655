// The workload is replayable: the same seed gives the same statements per writer; different
// writers get different streams; operations stay inside the key space and set updated_at.
import t from 'tap';
import { Random, defaultKeys, nextOperation, seedRoomsSql } from '../../../lib/workload';

const stream = (seed: number, label: string, n: number) => {
  const r = new Random(Random.derive(seed, label));
  return Array.from({ length: n }, () => nextOperation(r, defaultKeys));
};

t.test('same seed, same statements; another writer, another stream', async (t) => {
  t.same(stream(42, 'a0', 200), stream(42, 'a0', 200));
  t.notSame(stream(42, 'a0', 50), stream(42, 'b0', 50));
  t.notSame(stream(42, 'a0', 50), stream(43, 'a0', 50));
});

t.test('the mix covers every kind on every table, keys inside the key space', async (t) => {
  const ops = stream(7, 'a0', 3000);
  const seen = new Set(ops.map((o) => `${o.table}.${o.kind}`));
  t.same([...seen].sort(), ['members.delete', 'members.insert', 'members.update', 'messages.delete', 'messages.insert', 'messages.update', 'rooms.update']);
  const unversioned = ops.filter((o) => o.kind !== 'delete' && !/updated_at = NOW\(6\)|NOW\(6\)\)$/.test(o.sql));
  t.same(unversioned, [], 'every insert and update sets updated_at = NOW(6)');
  const messageIds = ops.filter((o) => o.table === 'messages').map((o) => Number(o.kind === 'update' ? o.args[3] : o.args[0]));
  t.ok(messageIds.every((id) => id >= 1 && id <= defaultKeys.messages), 'message ids in 1..messages');
  const tips = ops.filter((o) => o.table === 'messages' && o.kind === 'insert').map((o) => o.args[5]);
  t.ok(tips.every((v) => v === null || /^-?\d{1,8}\.\d{4}$/.test(String(v))), 'tips are exact DECIMAL(12,4) text or NULL');
});

t.test('Random: uniform enough and in range', async (t) => {
  const r = new Random(1);
  const xs = Array.from({ length: 10_000 }, () => r.int(1, 10));
  t.ok(xs.every((x) => x >= 1 && x <= 10));
  t.equal(new Set(xs).size, 10);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  t.ok(mean > 5.3 && mean < 5.7, `mean ${mean}`);
});

t.test('seed rooms: identical rows with fixed times on both sides', async (t) => {
  const { sql, args } = seedRoomsSql({ ...defaultKeys, rooms: 2, base: 100 });
  t.equal(sql, "INSERT IGNORE INTO rooms (id, name, created_at, updated_at) VALUES (?, ?, '2000-01-01 00:00:00', '2000-01-01 00:00:00'), (?, ?, '2000-01-01 00:00:00', '2000-01-01 00:00:00')");
  t.same(args, [101, 'room 1', 102, 'room 2']);
});
