import t from 'tap';
import { parseTables, SyncedTables, type TableSpec } from '../../../lib/config';
import { carryDeletes } from '../../../lib/stages';
import { DebeziumDecoder, DebeziumEncoder } from '../../../lib/debezium';
import { tombstonePkHash } from '../../../lib/model';
import { InMemorySchemaRegistry } from '../../../lib/registry';
import { at, changeEvent, runStage } from '../../../lib/testing';


const tables = parseTables('rooms,members:room_id+user_id,messages') as TableSpec[];
const stage = carryDeletes({ tables });
const tombstone = (tbl: string, pk: string, deletedAt: unknown = at('2026-01-01 00:00:05.000001'), op: 'c' | 'u' | 'd' = 'c') => {
  const image = { tbl, pk, deleted_at: deletedAt as never, origin: 2 };
  return changeEvent({ db: 'b', table: 'tandem_tombstones', op, before: op === 'd' ? image : null, after: op === 'd' ? null : image, key: { tbl, pk }, serverId: 2, pos: 900 });
};

t.test('a tombstone row becomes a delete of the row it names, with its time', async (t) => {
  const ran = await runStage(stage, [tombstone('messages', '[42]')]);
  t.equal(ran.out.length, 1);
  const del = ran.out[0];
  t.equal(del.op, 'd');
  t.equal(del.source.table, 'messages');
  t.equal(del.source.serverId, 2);
  t.equal(del.source.pos, 900);
  t.same(del.key, { id: 42 });
  t.same(del.before, { id: 42 });
  t.equal(del.after, null);
  t.equal(del.deletedAt?.epochMicros, at('2026-01-01 00:00:05.000001').epochMicros);
  t.equal(del.headers['tandem-origin'], '2');
});

t.test('composite keys follow the configured column order; updates of tombstones carry too', async (t) => {
  const ran = await runStage(stage, [tombstone('members', '[7, 9]', at('2026-01-01 00:00:06'), 'u')]);
  t.same(ran.out[0].key, { room_id: 7, user_id: 9 });
  t.equal(ran.out[0].deletedAt?.toString(), '2026-01-01 00:00:06');
});

t.test('row-topic deletes and tombstone purges are dropped and counted; other changes pass', async (t) => {
  const rowDelete = changeEvent({ table: 'messages', op: 'd', before: { id: 42, body: 'x' } });
  const purge = tombstone('messages', '[41]', at('2026-01-01 00:00:00'), 'd');
  const insert = changeEvent({ table: 'messages', after: { id: 43, body: 'y' } });
  const ran = await runStage(stage, [rowDelete, purge, insert]);
  t.same(ran.out, [insert]);
  t.same(ran.counters, { rowDeletesDropped: 1, purgesDropped: 1 });
});

t.test('a tombstone that cannot become a delete is dead-lettered with the reason', async (t) => {
  const bad = [
    tombstone('members', '[7]'),
    tombstone('messages', 'not json'),
    tombstone('messages', '[1]', 'yesterday'),
    tombstone('messages', '[[1]]'),
  ];
  const ran = await runStage(stage, bad);
  t.same(ran.out, []);
  t.same(
    ran.deadLetters.map((d) => d.reason),
    [
      'tombstone pk [7] for members must be a JSON array of 2 value(s) (room_id, user_id)',
      'tombstone pk "not json" for messages is not a JSON array of scalars',
      'tombstone for messages [1] has no usable deleted_at (got yesterday)',
      'tombstone pk "[[1]]" for messages is not a JSON array of scalars',
    ],
  );
  t.equal(ran.deadLetters[0].event, bad[0]);
});

t.test('deleted_at given as text (a decoder without logical types) is parsed exactly', async (t) => {
  const ran = await runStage(stage, [tombstone('rooms', '[3]', '2026-01-01 00:00:07.123456')]);
  t.equal(ran.out[0].deletedAt?.epochMicros, at('2026-01-01 00:00:07.123456').epochMicros);
});

t.test('keys beyond 2^53 stay exact (Snowflake ids, BIGINT UNSIGNED)', async (t) => {
  const ran = await runStage(stage, [tombstone('messages', '[9007199254740993]'), tombstone('members', '[18446744073709551615, -9223372036854775808]')]);
  t.same(ran.deadLetters, []);
  t.equal(ran.out[0].key.id, 9007199254740993n);
  t.same(ran.out[1].key, { room_id: 18446744073709551615n, user_id: -9223372036854775808n });
});

t.test('a key of any length and any characters comes back exactly from a tombstone Debezium emitted', async (t) => {
  // MariaDB 10.11's JSON_ARRAY rendering and SHA2 of this key, taken from the server: a 4-byte
  // character, a quote, a backslash, control characters (escaped as \u0001, \u001F), then an integer.
  const pk = '["😀\\"\\\\\\u0001é\\u001F/", 7]';
  t.equal(tombstonePkHash(pk).toString('hex').toUpperCase(), 'D9A8D0D26687090A1F17324EDE07F2B6006F43E86948D8853C3F8D222C4DF405', "the digest is MariaDB's UNHEX(SHA2(pk, 256))");
  const long = `["${'😀\\"\\\\\\u0001'.repeat(64)}", 7]`;
  const registry = new InMemorySchemaRegistry();
  const encoder = new DebeziumEncoder({ registry });
  const decoder = new DebeziumDecoder({ schemas: registry });
  const handles = parseTables('handles:handle+n') as TableSpec[];
  const cases: [string, string][] = [
    [pk, '😀"\\\u0001é\u001f/'],
    [long, '😀"\\\u0001'.repeat(64)],
  ];
  for (const [text, handle] of cases) {
    // Encoded with the shipped tandem_tombstones schemas (key: tbl, pk_hash), as Debezium's Avro converter writes it.
    const record = await encoder.record('b.chat.tandem_tombstones', {
      op: 'c',
      before: null,
      after: { tbl: 'handles', pk_hash: tombstonePkHash(text), pk: text, deleted_at: at('2026-01-01 00:00:05.000001'), origin: 2 },
      source: { connector: 'mariadb', name: 'b', db: 'chat', table: 'tandem_tombstones', serverId: 2, gtid: '2-2-9', file: 'mariadb-bin.000001', pos: 900, row: 0, tsMs: 0, snapshot: false, thread: null },
    });
    const event = await decoder.decode(record);
    const ran = await runStage(carryDeletes({ tables: handles }), event ? [event] : []);
    t.same(ran.deadLetters, []);
    t.same(ran.out[0]?.key, { handle, n: 7 }, `${text.length} characters of key text, the exact key`);
  }
});

t.test('a tombstone of a table this topology does not sync is not its to carry: dropped and counted', async (t) => {
  const ran = await runStage(stage, [tombstone('users', '[1]')]);
  t.same([ran.out, ran.deadLetters, ran.counters], [[], [], { tombstonesOfOtherTables: 1 }]);
});

t.test('a tombstone recorded under a table\'s old name deletes the row of the renamed table', async (t) => {
  const tables = new SyncedTables([{ name: 'rooms', primaryKey: ['id'] }]);
  tables.rename('rooms', 'halls');
  const stage = carryDeletes({ tables });
  const ran = await runStage(stage, [changeEvent({ table: 'tandem_tombstones', op: 'c', after: { tbl: 'rooms', pk: '[7]', deleted_at: '2026-01-01 00:00:01.000000', origin: 11 } })]);
  t.same(ran.out.map((e) => [e.op, e.source.table, e.key]), [['d', 'halls', { id: 7 }]]);
  t.same(ran.deadLetters, []);
});
