import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import reporting from '../../../../topologies/examples/reporting';
import { loadConfig } from '../../../../lib/config';
import { Executor } from '../../../../lib/executor';
import { Decimal, type Sink } from '../../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../../lib/sink';
import { at, changeEvent } from '../../../../lib/testing';
import { rows, testDb } from '../../fixtures/db';

// The reporting tables docs/writing-topologies.md has the user create (topologies/examples/
// reporting.sql), written by the example topology through the real MySQL sink, set up as
// `tandem run` sets it up: what the guide's `make run` relies on, short of Kafka.

const SQL = readFileSync(join(__dirname, '../../../../topologies/examples/reporting.sql'), 'utf8');

t.test('the example writes the reporting tables of the guide: renamed, dropped, filtered, deleted, left', async (t) => {
  const db = await testDb(t);
  await db.admin.query(SQL);
  const url = db.url.replace(/\/chat$/, '/reporting');
  const config = loadConfig({ TANDEM_DB_B_URL: url, TANDEM_TABLES: 'rooms,messages' });
  // As tandem run: the sink's database gets the tombstone table and the triggers, then the sink.
  await installOriginSupport(url, config.tables.map((s) => s.name));
  const sinks: Sink[] = [];
  t.teardown(() => Promise.all(sinks.map((s) => s.close())));
  const executor = new Executor(reporting.build({ config }), (d) => {
    t.same(d, { kind: 'mysql', name: 'reporting', db: 'b', batchRows: 1000, lingerMs: 0, connections: 4 });
    const sink = mysqlSink({ name: d.name, url, tables: { rooms: { primaryKey: ['id'] }, messages: { primaryKey: ['id'] } }, databaseId: 'b', lingerMs: 5 });
    sinks.push(sink);
    return sink;
  });
  const message = (id: number, body: string, tip: string | null, updatedAt: string) => ({
    id, room_id: 1, author_id: 7, body, meta: '{"client":"web"}', tip: tip === null ? null : Decimal.parse(tip), sent_at: at('2026-01-01 00:00:01'), edited_at: null, updated_at: at(updatedAt),
  });
  const run = (events: ReturnType<typeof changeEvent>[]) => executor.runBatch('a-changes', events);

  const first = await run([
    changeEvent({ table: 'rooms', after: { id: 1, name: 'general', topic: null, is_private: 0, created_at: at('2026-01-01 00:00:01'), updated_at: at('2026-01-01 00:00:01') } }),
    changeEvent({ table: 'messages', after: message(10, 'thanks!', '2.5000', '2026-01-01 00:00:02'), pos: 5 }),
    changeEvent({ table: 'messages', after: message(11, 'hello', null, '2026-01-01 00:00:02'), pos: 6 }),
  ]);
  t.same(first.deadLetters, []);
  t.same(first.tables, { rooms: { applied: 1, skipped: 0 }, messages: { applied: 1, skipped: 0 } });
  t.same(await rows(db.admin, 'SELECT id, name, is_private, updated_at FROM reporting.rooms'), [{ id: '1', name: 'general', is_private: 0, updated_at: '2026-01-01 00:00:01.000000' }]);
  t.same(await rows(db.admin, 'SELECT * FROM reporting.messages'), [
    { id: '10', room_id: '1', author_id: '7', text: 'thanks!', tip: '2.5000', sent_at: '2026-01-01 00:00:01.000000', edited_at: null, updated_at: '2026-01-01 00:00:02.000000' },
  ]);

  // A delete (Tandem's tombstone row on a), then an older update of the same message arriving late.
  const tombstone = changeEvent({ table: 'tandem_tombstones', after: { tbl: 'messages', pk: '[10]', deleted_at: at('2026-01-01 00:00:04'), origin: 11 }, key: { tbl: 'messages' }, pos: 7 });
  const deleted = await run([tombstone]);
  t.same(deleted.deadLetters, []);
  t.same(await rows(db.admin, 'SELECT id FROM reporting.messages'), []);
  const late = await run([changeEvent({ table: 'messages', op: 'u', after: message(10, 'thanks!!', '2.5000', '2026-01-01 00:00:03'), pos: 6 })]);
  t.same(late.tables, { messages: { applied: 0, skipped: 1 } }, "refused by the sink's last-writer-wins guard");
  t.same(await rows(db.admin, 'SELECT id FROM reporting.messages'), [], 'the deleted message stays deleted');

  // A message whose tip is taken back: the update becomes a delete, so the message leaves the report.
  await run([changeEvent({ table: 'messages', after: message(12, 'big tip', '9.0000', '2026-01-01 00:00:05'), pos: 8 })]);
  t.same(await rows(db.admin, 'SELECT id, text FROM reporting.messages'), [{ id: '12', text: 'big tip' }]);
  const left = await run([changeEvent({ table: 'messages', op: 'u', before: message(12, 'big tip', '9.0000', '2026-01-01 00:00:05'), after: message(12, 'big tip', null, '2026-01-01 00:00:06'), pos: 9 })]);
  t.same(left.tables, { messages: { applied: 1, skipped: 0 } });
  t.same(await rows(db.admin, 'SELECT id FROM reporting.messages'), []);
  t.same(await rows(db.admin, "SELECT pk, deleted_at FROM reporting.tandem_tombstones WHERE tbl = 'messages' ORDER BY pk"), [
    { pk: '[10]', deleted_at: '2026-01-01 00:00:04.000000' },
    { pk: '[12]', deleted_at: '2026-01-01 00:00:06.000000' },
  ]);
});
