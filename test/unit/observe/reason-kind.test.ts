// Dead-letter reasons become a few fixed kinds for metric labels: one per place that refuses.
import t from 'tap';
import { reasonKind } from '../../../lib/observe';

t.test('each refusal Tandem writes has its kind', async (t) => {
  const cases: [string, string][] = [
    ['no source node of the topology reads topic c.other', 'no-source'],
    ['no route for table "users" (routed: rooms)', 'no-route'],
    ['table "users" is not in this sink\'s allow-list', 'table-not-allowed'],
    ['unknown schema id 99 in a.chat.t@1', 'undecodable'],
    ['value starts with byte 123, not the Confluent magic byte 0 (JSON converter? 8-byte schema ids?)', 'undecodable'],
    ['value is 3 bytes, shorter than the 5-byte Confluent header (not written by an Avro converter)', 'undecodable'],
    ['unsupported Debezium op "t" in x (expected c, u, d or r)', 'unsupported-op'],
    ['tombstone for table "x", which is not a synced table (have rooms)', 'bad-tombstone'],
    ['cannot order a change of rooms: no updated_at column', 'unordered'],
    ['rooms: the record lacks column(s) topic of rooms, which have no constant default (dropped or renamed at the source?)', 'schema-change'],
    ["rooms: column n: the source's type int differs from rooms's bigint (a type change at the source?)", 'schema-change'],
    ['writing to rooms: Data too long for column body (ER_DATA_TOO_LONG)', 'database-refused'],
    ['recording the tombstone in rooms: Incorrect value', 'database-refused'],
    ['something else entirely', 'other'],
  ];
  for (const [reason, kind] of cases) t.equal(reasonKind(reason), kind, reason);
});
