// Reads one server's facts: version, the global variables the checks need, who Tandem connects
// as and its grants, and whether Tandem's own session setup works, by running it.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { redactUrl, type DatabaseSpec } from '../config';
import { describeMysqlError, dialectFor, type Dialect, type SessionIdentity } from '../sink';
import type { ServerFacts } from './facts';

/** Every global variable a check reads; a server lacking one (MySQL, older MariaDB) just omits it. */
export const SERVER_VARIABLES = [
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'server_id',
  'gtid_domain_id',
  'time_zone',
  'system_time_zone',
  'sql_mode',
  'tx_isolation',
  'transaction_isolation',
  'max_allowed_packet',
  'auto_increment_increment',
  'auto_increment_offset',
  'log_bin_trust_function_creators',
] as const;

/**
 * Runs the sink's session setup on a connection of its own, then throws that connection away, so
 * the test leaves no session with Tandem's ids behind. Returns the error text, or undefined.
 */
async function trySessionSetup(pool: Pool, dialect: Dialect, identity: SessionIdentity): Promise<string | undefined> {
  const conn = await pool.getConnection();
  try {
    for (const stmt of dialect.sessionSetup(identity)) await conn.query(stmt.sql, stmt.values);
    return undefined;
  } catch (err) {
    return describeMysqlError(err);
  } finally {
    conn.destroy();
  }
}

export async function readServer(pool: Pool, db: DatabaseSpec, identity: SessionIdentity): Promise<ServerFacts> {
  const [[basics]] = await pool.query<RowDataPacket[]>(
    "SELECT VERSION() AS version, CURRENT_USER() AS user, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), CONVERT_TZ(UTC_TIMESTAMP(), '+00:00', @@GLOBAL.time_zone)) AS utc_offset",
  );
  const [vars] = await pool.query<RowDataPacket[]>(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${SERVER_VARIABLES.map(() => '?').join(', ')})`, [...SERVER_VARIABLES]);
  const [grants] = await pool.query<RowDataPacket[]>('SHOW GRANTS');
  const version = String(basics.version);
  let dialect: Dialect | undefined;
  try {
    dialect = dialectFor(version);
  } catch {
    dialect = undefined; // an unsupported version is the version check's finding
  }
  return {
    id: db.id,
    url: redactUrl(db.url),
    database: db.database,
    version,
    variables: Object.fromEntries(vars.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)])),
    currentUser: String(basics.user),
    grants: grants.map((r) => String(Object.values(r)[0])),
    sessionSetupError: dialect ? await trySessionSetup(pool, dialect, identity) : undefined,
    // The application's clock: the server's global zone (Tandem's own sessions are pinned to UTC).
    utcOffsetS: Number(basics.utc_offset),
  };
}
