// The shared last-writer-wins cases (fixtures/lww-cases.ts) against the test driver's in-memory
// database; test/db/sink/lww-cases.test.ts runs the same cases against MariaDB.
import t from 'tap';
import { LocalDateTime } from '../../../lib/model';
import { InMemoryDatabase } from '../../../lib/testing';
import { CASE_COLUMNS, runLwwCases, text } from './fixtures/lww-cases';

const TABLE = 'cases';

runLwwCases(t, async () => {
  const database = new InMemoryDatabase({
    id: 'b',
    database: 'chat',
    serverId: 2,
    tandemServerId: 4100,
    tables: [{ name: TABLE, primaryKey: ['id'] }],
    columns: { [TABLE]: [{ name: 'id', type: 'BIGINT' }, ...CASE_COLUMNS, { name: 'updated_at', type: 'DATETIME(6)' }] },
    tombstoneTable: 'tandem_tombstones',
    now: () => 0n,
    emit: () => undefined,
  });
  const sink = database.sink();
  return {
    table: TABLE,
    write: (event) => sink.write([event]),
    row: async () => {
      const row = database.row(TABLE, { id: 1 });
      return row && Object.fromEntries(CASE_COLUMNS.map((c) => [c.name, text(row[c.name])]));
    },
    tombstone: async () => {
      const tomb = database.tombstone(TABLE, { id: 1 });
      return tomb && { deletedAt: new LocalDateTime(tomb.deletedAt.epochMicros, 6).toString(), origin: tomb.origin };
    },
  };
});
