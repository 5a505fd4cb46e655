// mysql2 errors to Tandem's kinds, decided where they are first caught (lib/errors).
import { TandemError, type ErrorKind } from '../errors';

/** The environment is at fault: deadlock, lock wait, connection gone, server going away. */
const RETRIABLE_ERRNO = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1040, // ER_CON_COUNT_ERROR (too many connections)
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1078, // ER_GOT_SIGNAL
  1079, // ER_SHUTDOWN_COMPLETE
  1152, // ER_ABORTING_CONNECTION
  1158, 1159, 1160, 1161, // network read/write errors and timeouts
  1180, // ER_ERROR_DURING_COMMIT
  1317, // ER_QUERY_INTERRUPTED
  1927, // ER_CONNECTION_KILLED (MariaDB)
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
  2002, 2003, 2006, 2013, // client: can't connect, server gone away, lost connection
]);

/** InnoDB chose this transaction as a deadlock's victim and rolled it back: it can go again at once. */
export function isDeadlock(err: unknown): boolean {
  const e = err as { errno?: unknown; cause?: unknown } | null;
  return e?.errno === 1213 || (e?.cause !== undefined && e.cause !== err && isDeadlock(e.cause));
}

const RETRIABLE_CODE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
  'POOL_CLOSED',
]);

/** This row can never be written as it is: bad data, a violated constraint. */
const POISON_ERRNO = new Set([
  1048, // column cannot be null
  1062, // duplicate entry (on a unique secondary key)
  1264, // out of range
  1265, // data truncated
  1292, // incorrect datetime / truncated incorrect value
  1366, // incorrect value for column
  1364, // field has no default
  1406, // data too long
  1416, // cannot get geometry object
  1451, 1452, // foreign key (only when foreign_key_checks is on)
  1690, // value out of range
  3140, // invalid JSON text (MySQL)
  3819, // check constraint (MySQL)
  4025, // CONSTRAINT failed (MariaDB CHECK, also JSON_VALID)
]);

export interface MysqlErrorLike {
  errno?: number;
  code?: string;
  sqlState?: string;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

function asMysqlError(err: unknown): MysqlErrorLike {
  return typeof err === 'object' && err !== null ? (err as MysqlErrorLike) : { message: String(err) };
}

export function kindOfMysqlError(err: unknown): ErrorKind {
  if (err instanceof TandemError) return err.kind;
  const e = asMysqlError(err);
  if ((e.errno !== undefined && RETRIABLE_ERRNO.has(e.errno)) || (e.code !== undefined && RETRIABLE_CODE.has(e.code))) return 'retriable';
  if (e.errno !== undefined && POISON_ERRNO.has(e.errno)) return 'poison';
  // SQLSTATE class 22 (data exception) and 23 (integrity constraint): the row, not the server.
  if (e.sqlState && /^2[23]/.test(e.sqlState)) return 'poison';
  return 'fatal';
}

/** Did the connection itself break (it must be destroyed, not returned to the pool)? */
export function isConnectionError(err: unknown): boolean {
  const e = asMysqlError(err);
  if (e.fatal) return true;
  return (e.code !== undefined && RETRIABLE_CODE.has(e.code)) || [1927, 1053, 2006, 2013, 4031].includes(e.errno ?? 0);
}

export function describeMysqlError(err: unknown): string {
  const e = asMysqlError(err);
  const code = [e.code, e.errno].filter((x) => x !== undefined).join(' ');
  return `${e.sqlMessage ?? e.message ?? 'unknown error'}${code ? ` (${code})` : ''}`;
}

export function toTandemError(err: unknown, what: string, table?: string): TandemError {
  if (err instanceof TandemError) return err;
  const kind = kindOfMysqlError(err);
  const hint =
    kind === 'fatal'
      ? 'check the target schema and the tandem user\'s privileges'
      : kind === 'retriable'
        ? 'the database was busy or unreachable; Tandem retries with backoff'
        : undefined;
  return new TandemError(kind, `${what}${table ? ` on ${table}` : ''}: ${describeMysqlError(err)}`, { stage: 'mysql-sink', hint }, { cause: err });
}
