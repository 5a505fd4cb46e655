// The local stack end to end: a row written into MariaDB a (and b) comes out of Debezium as a
// Confluent-framed Avro event on `<db>.chat.messages`, and Tandem's own decoder reads it back with
// the schema the registry serves for the id in the message. Needs `make stack-up` (stack/test-all.sh).
import t from 'tap';
import { randomInt } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { DebeziumDecoder } from '../../lib/debezium';
import { Decimal, LocalDateTime, type ChangeEvent } from '../../lib/model';
import { ConfluentSchemaRegistrySource } from '../../lib/registry';
import { findRecord } from '../../lib/stack/kafka-client';
import { readWireHeader, schemaById } from '../../lib/stack/wire-check';

const env = process.env;
const brokers = env.TANDEM_BROKERS ?? '127.0.0.1:9092';
const registryUrl = env.TANDEM_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const dbUrls = {
  a: env.TANDEM_DB_A_URL ?? 'mysql://tandem:tandem@127.0.0.1:3307/chat',
  b: env.TANDEM_DB_B_URL ?? 'mysql://tandem:tandem@127.0.0.1:3308/chat',
};

for (const db of ['a', 'b'] as const) {
  t.test(`an insert into db ${db} arrives on ${db}.chat.messages as Debezium Avro that Tandem decodes`, async (t) => {
    // Distinct per run and per database, so an earlier run's records never match.
    const roomId = Date.now() * 10 + (db === 'a' ? 1 : 2);
    const messageId = roomId * 100 + randomInt(100);
    const conn = await createConnection({ uri: dbUrls[db] });
    t.teardown(() => conn.end());
    await conn.query('INSERT INTO rooms (id, name, updated_at) VALUES (?, ?, ?)', [roomId, `room ${db}`, '2026-11-24 10:00:00.000001']);
    await conn.query(
      'INSERT INTO messages (id, room_id, author_id, body, meta, tip, sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [messageId, roomId, 42, `héllo from ${db} ✓`, '{"mentions":[42]}', '1234.5678', '2026-11-24 10:11:12.123456', '2026-11-24 10:11:12.654321'],
    );

    const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(registryUrl) });
    let event: ChangeEvent | null = null;
    const record = await findRecord(
      brokers,
      `${db}.chat.messages`,
      async (r) => {
        const e = await decoder.decode({ ...r, offset: String(r.offset), headers: {} });
        if (e?.after?.id !== undefined && String(e.after.id) === String(messageId)) event = e;
        return event !== null;
      },
      90_000,
    );

    const header = readWireHeader(record.value);
    t.equal(header?.magic, 0, 'value starts with the Confluent magic byte 0');
    const schema = JSON.parse(await schemaById(registryUrl, header?.schemaId ?? -1)) as { name?: string };
    t.equal(schema.name, 'Envelope', `GET ${registryUrl}/schemas/ids/${header?.schemaId} answers the envelope schema`);
    t.equal(readWireHeader(record.key)?.magic, 0, 'key is Confluent-framed too');

    const e = event as ChangeEvent | null;
    if (!e) throw new Error('decoder returned no event');
    t.equal(e.op, 'c');
    t.equal(e.source.name, db, 'source.name is the topic prefix');
    t.equal(e.source.db, 'chat');
    t.equal(e.source.table, 'messages');
    t.equal(String(e.key.id), String(messageId), 'key carries the primary key');
    const after = e.after!;
    t.equal(String(after.room_id), String(roomId));
    t.equal(after.body, `héllo from ${db} ✓`);
    t.ok(after.tip instanceof Decimal, 'DECIMAL decodes to an exact Decimal');
    t.equal(String(after.tip), '1234.5678');
    t.ok(after.sent_at instanceof LocalDateTime, 'DATETIME(6) decodes to a LocalDateTime');
    t.equal(String(after.sent_at), '2026-11-24 10:11:12.123456');
    t.equal(String(after.updated_at), '2026-11-24 10:11:12.654321');
    t.same(JSON.parse(String(after.meta)), { mentions: [42] }, 'JSON column keeps its text');
    t.equal(after.edited_at, null);
  });
}
