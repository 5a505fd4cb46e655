// The sink's connections: a mysql2 pool sized by config, each connection set up once as a
// Tandem session (server_id, @tandem_apply, time zone) before its first write.
import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { redactUrl } from '../config';
import { fatal } from '../errors';
import { toTandemError } from './classify';
import { dialectFor, type Dialect } from './dialect';

// The one redaction (lib/config); re-exported because the sink's callers name it here.
export { redactUrl };

/**
 * mysql2 options every Tandem connection uses: FOUND_ROWS off so affectedRows tells a no-op (0)
 * from an insert (1) and an update (2); temporal values as text (exact microseconds); big
 * numbers as text (exact DECIMAL and BIGINT).
 */
export function createSinkPool(url: string, poolSize: number): Pool {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fatal(`database URL ${redactUrl(url)} is not a URL`, { stage: 'mysql-sink', hint: 'use mysql://user:password@host:port/database' });
  }
  if (!/^(mysql|mariadb):$/.test(parsed.protocol) || parsed.pathname.length <= 1) {
    throw fatal(`database URL ${redactUrl(url)} must look like mysql://user:password@host:port/database`, { stage: 'mysql-sink' });
  }
  return createPool({
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)),
    connectionLimit: poolSize,
    flags: ['-FOUND_ROWS'],
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4_unicode_ci',
    connectTimeout: 10_000,
    // A flush goes as one multi-statement round trip (apply.ts applyInOneTrip). Values are
    // always escaped by mysql2 and identifiers checked, so no text from events reaches SQL raw.
    multipleStatements: true,
  });
}

export interface Sessions {
  /** A connection of the pool, set up as a Tandem session. */
  acquire(): Promise<PoolConnection>;
  dialect(): Promise<Dialect>;
}

export function tandemSessions(pool: Pool, serverId: number): Sessions {
  const ready = new WeakSet<object>();
  let dialect: Promise<Dialect> | undefined;
  const detect = (): Promise<Dialect> => {
    dialect ??= pool.query<RowDataPacket[]>('SELECT VERSION() AS v').then(
      ([rows]) => dialectFor(String(rows[0].v)),
      (err: unknown) => {
        dialect = undefined;
        throw toTandemError(err, 'reading the server version');
      },
    );
    return dialect;
  };
  return {
    dialect: detect,
    async acquire() {
      const d = await detect();
      let conn: PoolConnection;
      try {
        conn = await pool.getConnection();
      } catch (err) {
        throw toTandemError(err, 'connecting');
      }
      if (ready.has(conn.connection)) return conn;
      try {
        for (const stmt of d.sessionSetup(serverId)) await conn.query(stmt.sql, stmt.values);
      } catch (err) {
        conn.destroy();
        const e = toTandemError(err, 'setting up the Tandem session (SET SESSION server_id ...)');
        if (e.kind === 'fatal') e.context.hint = 'the sink user needs SUPER (or BINLOG ADMIN) to set its session server_id';
        throw e;
      }
      ready.add(conn.connection);
      return conn;
    },
  };
}
