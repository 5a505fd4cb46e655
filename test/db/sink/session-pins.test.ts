// The sink's sessions pin their sql_mode and isolation level, whatever the server's defaults: a
// server running with NO_BACKSLASH_ESCAPES, ANSI_QUOTES and READ COMMITTED still gets exact values
// (mysql2 escapes with backslashes) and the tombstone guard's REPEATABLE READ locks.
import t from 'tap';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { installOriginSupport, mysqlSink, TANDEM_SQL_MODE } from '../../../lib/sink';
import { createSinkPool, tandemSessions } from '../../../lib/sink/connection';
import { startMariaDb } from '../../../lib/stack/mariadb';
import { rows, ts, upsert } from '../fixtures/db';

t.test('a server with NO_BACKSLASH_ESCAPES, ANSI_QUOTES and READ COMMITTED', async (t) => {
  const server = await startMariaDb({ serverId: 41, extraArgs: ['--sql-mode=NO_BACKSLASH_ESCAPES,ANSI_QUOTES', '--transaction-isolation=READ-COMMITTED'] });
  t.teardown(() => server.stop());
  const admin = await createConnection({ socketPath: server.socket, user: 'root', database: 'chat', dateStrings: true });
  t.teardown(() => admin.end());

  const pool = createSinkPool(server.url, 1);
  t.teardown(() => pool.end());
  const conn = await tandemSessions(pool, { serverId: 4100, gtidDomainId: 4100 }).acquire();
  const [session] = await conn.query<RowDataPacket[]>('SELECT @@SESSION.sql_mode AS mode, @@SESSION.tx_isolation AS iso');
  conn.release();
  t.same(session[0], { mode: TANDEM_SQL_MODE, iso: 'REPEATABLE-READ' }, 'the session pins its own, not the server\'s');

  await admin.query('CREATE TABLE pins (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)');
  await installOriginSupport(server.url, ['pins']);
  const sink = mysqlSink({ url: server.url, tables: { pins: { primaryKey: ['id'] } }, lingerMs: 5 });
  t.teardown(() => sink.close());
  const body = `it's a "quoted" back\\slash`;
  t.same(await sink.write([upsert('pins', { id: 1, body, updated_at: ts('2024-01-01 00:00:01') }, { op: 'c' })]), { applied: 1, skipped: 0, deadLetters: [], tables: { pins: { applied: 1, skipped: 0 } } });
  t.same(await rows(admin, 'SELECT body FROM pins WHERE id = 1'), [{ body }], 'quotes and backslashes arrive exactly');
});
