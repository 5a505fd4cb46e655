// The sink's connections: a mysql2 pool sized by config, each connection set up once as a
// Tandem session (server_id, @tandem_apply, time zone) before its first write.
import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { redactUrl } from '../config';
import { fatal } from '../errors';
import { toTandemError } from './classify';
import { PINNED_SESSION, SQL, dialectFor, type Dialect, type SessionIdentity } from './dialect';

// The one redaction (lib/config); re-exported because the sink's callers name it here.
export { redactUrl };

/**
 * mysql2 options every Tandem connection uses: FOUND_ROWS off so affectedRows tells a no-op (0)
 * from an insert (1) and an update (2); temporal values as text (exact microseconds); big
 * numbers as text (exact DECIMAL and BIGINT).
 */
export function createSinkPool(url: string, poolSize: number, options: { multipleStatements?: boolean } = {}): Pool {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fatal(`database URL ${redactUrl(url)} is not a URL`, { stage: 'mysql-sink', hint: 'use mysql://user:password@host:port/database' });
  }
  if (!/^(mysql|mariadb):$/.test(parsed.protocol) || parsed.pathname.length <= 1) {
    throw fatal(`database URL ${redactUrl(url)} must look like mysql://user:password@host:port/database`, { stage: 'mysql-sink' });
  }
  const pool = createPool({
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
    // Only the sink asks for it: a flush goes as one multi-statement round trip (apply.ts
    // applyInOneTrip). Values are always escaped by mysql2 and identifiers checked.
    multipleStatements: options.multipleStatements === true,
  });
  // Every connection gets Tandem's pinned settings before its first statement (queued in order).
  pool.pool.on('connection', (conn) => {
    for (const s of PINNED_SESSION) {
      conn.query(s.sql, s.values, (err: Error | null) => {
        if (err) conn.destroy();
      });
    }
  });
  return pool;
}

export interface Sessions {
  /** A connection of the pool, set up as a Tandem session. */
  acquire(): Promise<PoolConnection>;
  dialect(): Promise<Dialect>;
  /** The session's max_allowed_packet, read when it was set up: no statement may be larger. */
  maxPacket(conn: PoolConnection): number;
  /** The max_allowed_packet of the session set up last; undefined before the first. */
  lastMaxPacket(): number | undefined;
}

export function tandemSessions(pool: Pool, identity: SessionIdentity): Sessions {
  // Connections set up as Tandem sessions, with their max_allowed_packet.
  const ready = new WeakMap<object, number>();
  let lastPacket: number | undefined;
  let dialect: Promise<Dialect> | undefined;
  const detect = (): Promise<Dialect> => {
    dialect ??= (async () => {
      const [rows] = await pool.query<RowDataPacket[]>(SQL.serverVersion);
      const d = dialectFor(String(rows[0].v));
      const [ids] = await pool.query<RowDataPacket[]>(d.serverIdentity());
      refuseSharedIdentity(identity, { serverId: Number(ids[0].server_id), gtidDomainId: ids[0].gtid_domain_id === undefined ? undefined : Number(ids[0].gtid_domain_id) });
      return d;
    })().catch((err: unknown) => {
      dialect = undefined;
      throw toTandemError(err, 'reading the server version and identity');
    });
    return dialect;
  };
  return {
    dialect: detect,
    maxPacket(conn) {
      const limit = ready.get(conn.connection);
      if (limit === undefined) throw new Error('maxPacket() of a connection that acquire() did not set up');
      return limit;
    },
    lastMaxPacket: () => lastPacket,
    async acquire() {
      const d = await detect();
      let conn: PoolConnection;
      try {
        conn = await pool.getConnection();
      } catch (err) {
        throw toTandemError(err, 'connecting');
      }
      if (ready.has(conn.connection)) return conn;
      let packet: number;
      try {
        for (const stmt of d.sessionSetup(identity)) await conn.query(stmt.sql, stmt.values);
        const [rows] = await conn.query<RowDataPacket[]>(d.maxAllowedPacket());
        packet = Number(rows[0].max_allowed_packet);
      } catch (err) {
        conn.destroy();
        const e = toTandemError(err, 'setting up the Tandem session (SET SESSION server_id, gtid_domain_id ...)');
        if (e.kind === 'fatal') e.context.hint = 'the sink user needs SUPER (or BINLOG REPLAY on MariaDB 10.5.2+) to set its session server_id and gtid_domain_id; `make doctor` names the GRANT';
        throw e;
      }
      ready.set(conn.connection, packet);
      lastPacket = packet;
      return conn;
    },
  };
}

/** One way the server's own ids collide with Tandem's, with what to do about it. */
export interface IdentityClash {
  message: string;
  hint: string;
}

/**
 * Tandem's writes are told apart by their server id and kept in a GTID domain of their own; the
 * server's own ids must differ, or every application write would look like Tandem's (and be
 * dropped as an echo), or Tandem's writes would share the application's GTID stream. Pure, so the
 * sink (which refuses to start) and `tandem doctor` (which reports) say the same thing.
 */
export function identityClashes(tandem: SessionIdentity, server: { serverId: number; gtidDomainId?: number }): IdentityClash[] {
  const clashes: IdentityClash[] = [];
  if (server.serverId === tandem.serverId) {
    clashes.push({
      message: `the server's own server_id is ${server.serverId}, the same as Tandem's (TANDEM_SERVER_ID): every application write would be taken for Tandem's and dropped`,
      hint: 'set TANDEM_SERVER_ID to a value that no server and no connector (database.server.id) uses',
    });
  }
  if (server.gtidDomainId !== undefined && server.gtidDomainId === tandem.gtidDomainId) {
    clashes.push({
      message: `the server's gtid_domain_id is ${server.gtidDomainId}, the same as Tandem's (TANDEM_GTID_DOMAIN_ID): Tandem's writes would share the application's GTID stream`,
      hint: "set TANDEM_GTID_DOMAIN_ID to a domain no server writes in (MariaDB's rule: one GTID domain per independent writer)",
    });
  }
  return clashes;
}

/** Throws the first identity clash as a fatal error (the sink does not start). */
export function refuseSharedIdentity(tandem: SessionIdentity, server: { serverId: number; gtidDomainId?: number }): void {
  const [first] = identityClashes(tandem, server);
  if (first) throw fatal(first.message, { stage: 'mysql-sink', hint: first.hint });
}
