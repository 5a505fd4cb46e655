// The demo chat tables (schemas/chat.sql) as Debezium's MariaDB/MySQL connectors map them; the
// shipped schemas under schemas/debezium/ must equal what these produce.
import { columnTypes as t, type ColumnSchema } from '../../../lib/debezium';

export const chatTables: Record<string, { columns: ColumnSchema[]; key: string[] }> = {
  rooms: {
    columns: [
      { name: 'id', type: t.bigint() },
      { name: 'name', type: t.string() },
      { name: 'created_at', type: t.timestampMicros() },
      { name: 'updated_at', type: t.timestampMicros() },
    ],
    key: ['id'],
  },
  members: {
    columns: [
      { name: 'room_id', type: t.bigint() },
      { name: 'user_name', type: t.string() },
      { name: 'role', type: t.enumOf(['owner', 'member']) },
      { name: 'joined_at', type: t.timestampMicros() },
      { name: 'updated_at', type: t.timestampMicros() },
    ],
    key: ['room_id', 'user_name'],
  },
  messages: {
    columns: [
      { name: 'id', type: t.bigint() },
      { name: 'room_id', type: t.bigint() },
      { name: 'author', type: t.string() },
      { name: 'body', type: t.string(), optional: true },
      { name: 'sent_at', type: t.timestampMicros() },
      { name: 'price', type: t.decimal(12, 4), optional: true },
      { name: 'meta', type: t.json(), optional: true },
      { name: 'updated_at', type: t.timestampMicros() },
    ],
    key: ['id'],
  },
  tandem_tombstones: {
    columns: [
      { name: 'tbl', type: t.string() },
      { name: 'pk', type: t.string() },
      { name: 'deleted_at', type: t.timestampMicros() },
      { name: 'origin', type: t.intUnsigned() },
    ],
    key: ['tbl', 'pk'],
  },
};
