// The only place the sink writes SQL. MariaDB 10.6+ is the live-tested target; MySQL 8.0.19+
// differs only where noted (row alias instead of VALUES(), no session server_id, no
// CREATE OR REPLACE TRIGGER) and is covered by tests of the generated text only.
import {
  Decimal,
  Json,
  LocalDate,
  LocalDateTime,
  LocalTime,
  ZonedDateTime,
  hashedWhole,
  type ColumnValue,
} from '../model';
import { poison } from '../errors';
import type { ColumnMeta, TableMeta, UniqueKey } from './table-meta';

/** What mysql2 binds: it escapes these client-side (`query`) or sends them as parameters. */
export type SqlValue = null | number | bigint | string | Buffer;

import { TOMBSTONE_TABLE } from '../config';
// The one name of Tandem's tombstone table (lib/config), re-exported where SQL is written.
export { TOMBSTONE_TABLE };

/** Statements that are the same for every supported server: the rest of the sink sends only these and the dialect's. */
export const SQL = {
  serverVersion: 'SELECT VERSION() AS v',
  begin: 'START TRANSACTION',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  /** Bounds how long DDL waits for a metadata lock (seconds bound), so a busy table is retried, not hung on. */
  lockWaitTimeout: 'SET SESSION lock_wait_timeout = ?',
  lockWaitTimeoutDefault: 'SET SESSION lock_wait_timeout = DEFAULT',
  /** Whether Tandem's triggers of a table are installed. Binds the BEFORE UPDATE trigger's name. */
  triggerInstalled: 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ?',
  /** Tables (other than the one bound) that still carry Tandem's per-table triggers. */
  tablesWithTandemTriggers:
    "SELECT DISTINCT EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'tandem\\_%' AND EVENT_OBJECT_TABLE <> ? ORDER BY 1",
} as const;

/** Holds the LWW verdict of the current row while ON DUPLICATE KEY UPDATE assigns columns. */
const WIN_VAR = '@tandem_w';

/** Identifiers reach SQL only through here: validated, then backtick-quoted. */
const IDENT = /^[A-Za-z0-9_$]{1,64}$/;
export function isValidIdentifier(name: string): boolean {
  return IDENT.test(name);
}
export function quoteId(name: string): string {
  if (!IDENT.test(name)) throw new RangeError(`not an identifier Tandem accepts: ${JSON.stringify(name)} (letters, digits, _ and $, at most 64)`);
  return '`' + name + '`';
}

// Hot path (every value of every row): tsx/esbuild turn imported names into getter calls on every
// use, so the classes toSqlValue tests are read once into module constants.
const DateTimeValue = LocalDateTime;
const ZonedValue = ZonedDateTime;
const DateValue = LocalDate;
const TimeValue = LocalTime;
const DecimalValue = Decimal;
const JsonValue = Json;

/** The one conversion from Tandem's values to bindable SQL values. */
export function toSqlValue(value: ColumnValue, column = '?'): SqlValue {
  if (value === null || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  // Always six digits: the column's own precision rounds nothing away that the source had.
  if (value instanceof DateTimeValue) return (value.fractionDigits === 6 ? value : new DateTimeValue(value.epochMicros, 6)).toString();
  // Sink sessions run with time_zone '+00:00', so a UTC literal stores the same instant.
  if (value instanceof ZonedValue) return new DateTimeValue(value.epochMicros, 6).toString();
  if (value instanceof DateValue || value instanceof TimeValue || value instanceof DecimalValue) return value.toString();
  if (value instanceof JsonValue) return value.text;
  throw poison(`column ${column}: array values cannot be written to MySQL/MariaDB`);
}

/**
 * Who a Tandem session writes as. On MariaDB both stamp every binlog event of Tandem's writes:
 * the server id is what the origin filter recognises, and the GTID domain keeps Tandem's writes
 * in a GTID stream of their own (docs/loop-prevention.md, "GTID domain").
 */
export interface SessionIdentity {
  serverId: number;
  gtidDomainId: number;
}

/**
 * Settings every Tandem connection pins, whatever the server's defaults (issue 11, case 6):
 * - sql_mode without NO_BACKSLASH_ESCAPES and ANSI_QUOTES, which would change how mysql2's
 *   client-side escaped values and Tandem's quoting are read; strict, so a value that does not
 *   fit is an error (a dead letter), never a silent truncation; NO_AUTO_VALUE_ON_ZERO so a
 *   replicated 0 in an AUTO_INCREMENT column stays 0. Zero dates stay allowed: a source that
 *   holds one must be able to replicate it.
 * - REPEATABLE READ: the guard's locking reads rely on next-key locks.
 * - time zone UTC: TIMESTAMP values are written as the UTC instants Debezium sends.
 */
// In the order MariaDB reports it (@@sql_mode), so a session shows exactly this text.
export const TANDEM_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';
export const PINNED_SESSION: readonly { sql: string; values: SqlValue[] }[] = [
  { sql: "SET SESSION sql_mode = ?, SESSION time_zone = '+00:00'", values: [TANDEM_SQL_MODE] },
  { sql: 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ', values: [] },
];

export interface Dialect {
  readonly name: 'mariadb' | 'mysql8';
  /** Statements every sink connection runs once, before its first write. */
  sessionSetup(identity: SessionIdentity): { sql: string; values: SqlValue[] }[];
  /** One row: the server's own `server_id` and (MariaDB) `gtid_domain_id`. */
  serverIdentity(): string;
  /**
   * One row, `max_allowed_packet`: the largest statement this session may send. The session's
   * value, fixed when it connected (a later SET GLOBAL changes only new connections).
   */
  maxAllowedPacket(): string;
  /** Guarded multi-row upsert of `rows` rows (columns in `meta.insertColumns` order). */
  upsert(meta: TableMeta, rows: number): string;
  /**
   * Locks the tombstones of `rows` keys and returns `(i, deleted_at)` (i from 0) for those that
   * exist. Binds `lockTombstoneValues(...)`.
   */
  lockTombstones(meta: TableMeta, rows: number): string;
  lockTombstoneValues(meta: TableMeta, table: string, keys: SqlValue[][]): SqlValue[];
  /** Records deletes `(tbl, pk..., deleted_at, origin)`, keeping the later one per key. */
  upsertTombstones(meta: TableMeta, rows: number): string;
  /** Deletes the rows whose key is listed and whose version is not newer than its tombstone. */
  deleteGuarded(meta: TableMeta, rows: number): string;
  /** The retention purge's statements (see `TombstonePurgeSql`). */
  readonly purge: TombstonePurgeSql;
  /** The stored version of one key, locked. Binds the key. */
  lockVersion(meta: TableMeta): string;
  /**
   * Stored rows that hold the bound row's values of UNIQUE index `index` under another primary
   * key, locked, with `tandem_incoming_wins`: the bound row is newer, or as new with the greater
   * key (the tie-break between two different rows). Binds `uniqueConflictValues`.
   */
  uniqueConflicts(meta: TableMeta, index: UniqueKey): string;
  /** Tombstones a key given as its stored JSON text (`tandem_pk` of `uniqueConflicts`). Binds (tbl, pk, deleted_at, origin). */
  tombstoneByPkText(): string;
  /** Deletes the row whose key renders as the bound JSON text, if not newer than its tombstone. Binds (tbl, pk). */
  deleteGuardedByPkText(meta: TableMeta): string;
  /** Statements for a flush in one round trip (MariaDB only; see `OneTripSql`). */
  readonly oneTrip?: OneTripSql;
  createTombstoneTable(): string;
  dropTombstoneTable(): string;
  /** Bringing a `tandem_tombstones` of an older shape to the current one (see `TombstoneMigrationSql`). */
  readonly tombstoneMigration: TombstoneMigrationSql;
  /** DDL, one statement per entry, that (re)creates the three triggers of a table. */
  createTriggers(meta: TableMeta): string[];
  dropTriggers(table: string): string[];
}

/**
 * A flush sent as one multi-statement round trip: `START TRANSACTION; <guard>; <refuse>;
 * <upsert>; ...; COMMIT`. The guard takes the same locks as `lockTombstones` (row and gap locks
 * on every key's tombstone) and counts the tombstones that refuse an incoming row; the refusal
 * statement then raises an error, which stops the batch before COMMIT so the flush is rolled
 * back and redone row by row. Rows no tombstone refuses are written by the plain guarded upsert.
 */
export interface OneTripSql {
  /** `undefined` when the key cannot travel as JSON (binary key columns). Binds `tombstoneGuardValues`. */
  tombstoneGuard(meta: TableMeta): string | undefined;
  /** Binds each row's key and its version (`YYYY-MM-DD HH:MM:SS.ffffff`). */
  tombstoneGuardValues(table: string, rows: { key: SqlValue[]; version: string }[]): SqlValue[];
  /** Raises `REFUSED_BY_TOMBSTONE` when the guard counted any tombstone. */
  refuseIfBuried: string;
}
/**
 * `tandem_tombstones` before its key was a digest had `PRIMARY KEY (tbl, pk)` with `pk
 * VARCHAR(512)`: a key whose JSON text was longer made the application's DELETE fail. The steps
 * that bring such a table to the current shape while applications keep deleting (their old
 * triggers keep writing `(tbl, pk, ...)`), each safe to repeat:
 * `addPkHash` (nullable), `keyTrigger` (from then on every insert gets its digest),
 * `backfillBoundary`/`backfillPkHash`/`backfillRest` (the older rows, in bounded chunks), then
 * `rekey` (one ALTER TABLE: a table copy, during which application deletes wait).
 */
export interface TombstoneMigrationSql {
  /** The columns (`COLUMN_NAME`) and primary key (`PK_COLUMNS`, comma-separated) of the table; binds its name. */
  shape: string;
  addPkHash: string;
  /** (Re)creates the trigger that derives `pk_hash` from `pk` on every insert. */
  keyTrigger(): string[];
  /**
   * The key (`tbl`, `pk`) that ends a chunk of at most `?` rows after a key; binds
   * `[tbl, tbl, pk, chunkRows - 1]` (`''` and `''` for the first chunk). None: the last chunk.
   */
  backfillBoundary: string;
  /** Fills `pk_hash` in the chunk after a key up to a key; binds `[tbl, tbl, pk, tbl, tbl, pk]`. */
  backfillPkHash: string;
  /** Fills `pk_hash` everywhere after a key (the last chunk); binds `[tbl, tbl, pk]`. */
  backfillRest: string;
  /** `pk` becomes TEXT, `pk_hash` NOT NULL, and the primary key `(tbl, pk_hash)`. */
  rekey: string;
}

/**
 * Purging tombstones older than the retention, in short transactions that never wait for a lock
 * (so they cannot deadlock with the triggers or the sink, which only ever wait for them).
 */
export interface TombstonePurgeSql {
  /**
   * `cutoff`: the server's time now, in the zone application sessions use by default (the
   * server's global time_zone: the triggers write `deleted_at` with NOW(6) there, and the sink
   * stores the other side's), minus the retention. Binds the retention in microseconds. NULL when
   * the server cannot convert to its own zone.
   */
  cutoff: string;
  /** Before each chunk's transaction: read committed, so no gap locks are taken. */
  isolation: string;
  /** Locks up to `?` tombstones older than `?` (cutoff, rows), oldest first, skipping locked ones; returns `tbl, pk_hash`. */
  lockExpired: string;
  /** Deletes the `(tbl, pk_hash)` keys locked by `lockExpired`; binds `deleteKeysValues(...)`. */
  deleteKeys: string;
  deleteKeysValues(keys: { tbl: string; pkHash: Buffer }[]): SqlValue[];
}

/** The error number of SIGNAL SQLSTATE '45000' (MariaDB's ER_SIGNAL_EXCEPTION). */
export const REFUSED_BY_TOMBSTONE = 1644;
const BURIED_VAR = '@tandem_buried';

/**
 * A tombstone's identity: the SHA-256 of its key text (`JSON_ARRAY(...)`) as UTF-8 bytes. The key
 * text has no length bound (long strings, JSON escapes, composite keys) but an index entry has;
 * the digest fits any key, and SHA-256 makes two keys sharing one digest out of reach. CONVERT:
 * the bytes hashed must not depend on the session's character set (JSON_ARRAY's result has it).
 */
function pkDigest(text: string): string {
  return `UNHEX(SHA2(CONVERT(${text} USING utf8mb4), 256))`;
}

/** The key as `JSON_ARRAY(...)`, the text the tombstone table and the triggers use. */
function pkOf(meta: TableMeta, ref: (column: string) => string): string {
  // Binary key columns as HEX(): raw bytes are not valid text for JSON (nor for the pk column).
  const part = (c: string) => (meta.columns.find((m) => m.name === c)?.binary ? `HEX(${ref(c)})` : ref(c));
  return `JSON_ARRAY(${meta.primaryKey.map(part).join(', ')})`;
}

/** A bound key value, cast where its JSON rendering must match the column's (dates, decimals). */
function boundKey(meta: TableMeta): (column: string) => string {
  return (column) => {
    const cast = meta.columns.find((c) => c.name === column)?.castAs;
    return cast ? `CAST(? AS ${cast})` : '?';
  };
}

/**
 * Canonical content of a row for the equal-`updated_at` tie-break (docs/loop-prevention.md §2).
 * Binary, TEXT/BLOB and JSON columns go in as their own MD5 (`hashedWhole`, shared with the
 * digest lib/model/content-hash.ts computes outside MariaDB for the stage and the test driver).
 */
export function contentHashSql(meta: TableMeta, ref: (column: string) => string): string {
  const parts = meta.dataColumns.map((c) => {
    const col = meta.columns.find((m) => m.name === c);
    return col && hashedWhole(col.dataType) ? `MD5(${ref(c)})` : ref(c);
  });
  return parts.length ? `MD5(JSON_ARRAY(${parts.join(', ')}))` : `''`;
}

function placeholders(columns: number, rows: number): string {
  const one = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}

/** `incoming wins`: newer version, or same version with the greater content hash. */
function winsExpr(meta: TableMeta, incoming: (c: string) => string, stored: (c: string) => string): string {
  const v = meta.version;
  return (
    `${incoming(v)} > ${stored(v)} OR (${incoming(v)} = ${stored(v)} AND ` +
    `${contentHashSql(meta, incoming)} > ${contentHashSql(meta, stored)})`
  );
}

function guardedAssignments(meta: TableMeta, incoming: (c: string) => string, stored: (c: string) => string): string {
  // Assignments run left to right and later ones see earlier results, so the verdict is taken
  // once, at the first assignment, and the version column is assigned last.
  const cols = [...meta.dataColumns, meta.version];
  return cols
    .map((c, i) => {
      const cond = i === 0 ? `(${WIN_VAR} := (${winsExpr(meta, incoming, stored)}))` : WIN_VAR;
      return `${quoteId(c)} = IF(${cond}, ${incoming(c)}, ${stored(c)})`;
    })
    .join(', ');
}

/**
 * Bytes `tandem_tombstones.pk` (TEXT) holds: the whole key text, however long, since rows are
 * found by its digest. Every key InnoDB can index fits (at most 3072 bytes of key, each character
 * at most 6 once JSON-escaped); only keys on a prefix of a TEXT/BLOB column can exceed it (tandem
 * doctor warns about those). The one place the limit is written.
 */
export const TOMBSTONE_PK_BYTES = 65_535;

const PK_TEXT = '`pk` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL';
const PK_HASH = '`pk_hash` BINARY(32)';

/** Rows are found by `(tbl, pk_hash)`; `pk` holds the whole key text (what carryDeletes reads). */
function tombstoneTableDdl(): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteId(TOMBSTONE_TABLE)} (` +
    '`tbl` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
    `${PK_HASH} NOT NULL, ${PK_TEXT}, ` +
    '`deleted_at` DATETIME(6) NOT NULL, ' +
    '`origin` INT UNSIGNED NOT NULL, ' +
    'PRIMARY KEY (`tbl`, `pk_hash`), KEY `tandem_tombstones_deleted_at` (`deleted_at`)' +
    ') ENGINE=InnoDB'
  );
}

/** The trigger of Tandem's own table (not a synced table's, whose names end in _bi/_bu/_bd). */
const KEY_TRIGGER = 'tandem_tombstones_pk_hash';

/**
 * Every writer (the triggers of each synced table, the sink, older triggers during a migration)
 * inserts `(tbl, pk, ...)`; the table derives `pk_hash` itself, for every session, so no two
 * writers can disagree on it. BEFORE INSERT runs before the duplicate-key check, so
 * `INSERT ... ON DUPLICATE KEY UPDATE` finds the existing tombstone by its digest.
 */
function keyTriggerDdl(create: 'CREATE OR REPLACE TRIGGER' | 'CREATE TRIGGER'): string {
  return `${create} ${quoteId(KEY_TRIGGER)} BEFORE INSERT ON ${quoteId(TOMBSTONE_TABLE)} FOR EACH ROW SET NEW.pk_hash = ${pkDigest('NEW.pk')}`;
}

// After the key (tbl, pk) `(?, ?)`, in the older table's primary-key order.
const AFTER_KEY = '(tbl > ? OR (tbl = ? AND pk > ?))';

function tombstoneMigration(create: 'CREATE OR REPLACE TRIGGER' | 'CREATE TRIGGER'): TombstoneMigrationSql {
  const t = quoteId(TOMBSTONE_TABLE);
  return {
    shape:
      "SELECT c.COLUMN_NAME AS COLUMN_NAME, (SELECT GROUP_CONCAT(s.COLUMN_NAME ORDER BY s.SEQ_IN_INDEX) FROM information_schema.STATISTICS AS s " +
      "WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME AND s.INDEX_NAME = 'PRIMARY') AS PK_COLUMNS " +
      'FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION',
    addPkHash: `ALTER TABLE ${t} ADD COLUMN ${PK_HASH} NULL AFTER \`tbl\``,
    keyTrigger: () => (create === 'CREATE TRIGGER' ? [`DROP TRIGGER IF EXISTS ${quoteId(KEY_TRIGGER)}`, keyTriggerDdl(create)] : [keyTriggerDdl(create)]),
    backfillBoundary: `SELECT tbl, pk FROM ${t} WHERE ${AFTER_KEY} ORDER BY tbl, pk LIMIT 1 OFFSET ?`,
    backfillPkHash: `UPDATE ${t} SET pk_hash = ${pkDigest('pk')} WHERE pk_hash IS NULL AND ${AFTER_KEY} AND (tbl < ? OR (tbl = ? AND pk <= ?))`,
    backfillRest: `UPDATE ${t} SET pk_hash = ${pkDigest('pk')} WHERE pk_hash IS NULL AND ${AFTER_KEY}`,
    rekey: `ALTER TABLE ${t} MODIFY ${PK_HASH} NOT NULL, MODIFY ${PK_TEXT}, DROP PRIMARY KEY, ADD PRIMARY KEY (\`tbl\`, \`pk_hash\`)`,
  };
}

function tombstonePurge(): TombstonePurgeSql {
  const t = quoteId(TOMBSTONE_TABLE);
  return {
    // UTC_TIMESTAMP is the server's clock whatever the session's zone (the sink's is +00:00).
    cutoff: "SELECT CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', @@GLOBAL.time_zone) - INTERVAL ? MICROSECOND AS cutoff",
    isolation: 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',
    // SKIP LOCKED: a tombstone a trigger or the sink holds is left for the next cycle; the purge
    // never waits. FORCE INDEX: a scan of the whole table would lock more than the chunk.
    lockExpired: `SELECT tbl, pk_hash FROM ${t} FORCE INDEX (\`tandem_tombstones_deleted_at\`) WHERE deleted_at < ? ORDER BY deleted_at LIMIT ? FOR UPDATE SKIP LOCKED`,
    // One primary-key lookup per key (STRAIGHT_JOIN from the list): a plain `DELETE ... WHERE
    // (tbl, pk_hash) IN (...)` becomes a table scan once the chunk is most of the table, and a
    // scan waits for the rows writers hold.
    deleteKeys:
      `DELETE ts FROM JSON_TABLE(?, '$[*]' COLUMNS (tbl VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]', h CHAR(64) CHARACTER SET ascii PATH '$[1]')) AS k ` +
      `STRAIGHT_JOIN ${t} AS ts ON ts.tbl = k.tbl AND ts.pk_hash = UNHEX(k.h)`,
    deleteKeysValues: (keys) => [JSON.stringify(keys.map((k) => [k.tbl, k.pkHash.toString('hex')]))],
  };
}

const sqlString = (s: string) => `'${s.replace(/[\\']/g, (m) => '\\' + m)}'`;
export const triggerName = (table: string, suffix: 'bi' | 'bu' | 'bd') => `tandem_${table}_${suffix}`;
/** The names of the triggers Tandem installs on a table (tandem doctor tells them from others). */
export const tandemTriggerNames = (table: string): string[] => (['bi', 'bu', 'bd'] as const).map((s) => triggerName(table, s));
/** Tandem's own session sets @tandem_apply = 1; the triggers act only outside it. */
const OUTSIDE_TANDEM = 'COALESCE(@tandem_apply, 0) <> 1';

/** Compared byte for byte: under a `_ci` collation 'a' = 'A' = 'a ', yet each is a change to replicate. */
function sameValue(meta: TableMeta, column: string): string {
  const c = quoteId(column);
  const text = meta.columns.find((m) => m.name === column)?.text === true;
  return text ? `CAST(NEW.${c} AS BINARY) <=> CAST(OLD.${c} AS BINARY)` : `NEW.${c} <=> OLD.${c}`;
}

/** The tombstone of the row the trigger sees as OLD: its time after the row's own version. */
function tombstoneOld(meta: TableMeta): string {
  const oldPk = pkOf(meta, (c) => `OLD.${quoteId(c)}`);
  return (
    `INSERT INTO ${quoteId(TOMBSTONE_TABLE)} (tbl, pk, deleted_at, origin) VALUES ` +
    `(${sqlString(meta.name)}, ${oldPk}, GREATEST(NOW(6), OLD.${quoteId(meta.version)} + INTERVAL 1 MICROSECOND), @@server_id) ` +
    'ON DUPLICATE KEY UPDATE origin = IF(VALUES(deleted_at) > deleted_at, VALUES(origin), origin), ' +
    'deleted_at = GREATEST(deleted_at, VALUES(deleted_at));'
  );
}

/** A row (re)appearing under a key: its version moves past a tombstone of that key. */
function pastTombstoneOfNew(meta: TableMeta): string {
  const v = quoteId(meta.version);
  return (
    `SET d = (SELECT deleted_at FROM ${quoteId(TOMBSTONE_TABLE)} WHERE tbl = ${sqlString(meta.name)} AND pk_hash = ${pkDigest(pkOf(meta, (c) => `NEW.${quoteId(c)}`))}); ` +
    `IF d IS NOT NULL AND d >= NEW.${v} THEN SET NEW.${v} = d + INTERVAL 1 MICROSECOND; END IF; `
  );
}

/**
 * What ON DELETE CASCADE / SET NULL would do to the rows referencing OLD, done here first, as
 * statements of the application's transaction: InnoDB's own cascades are not in the binlog (and
 * fire no triggers), so without this the other side would keep the children. The children's own
 * triggers then record their tombstones / move their versions.
 */
function explicitCascades(meta: TableMeta): string {
  return (meta.referencedBy ?? [])
    .filter((fk) => fk.table !== meta.name) // a trigger cannot change its own table: left to InnoDB
    .map((fk) => {
      const where = fk.columns.map((c, i) => `${quoteId(c)} = OLD.${quoteId(fk.refColumns[i])}`).join(' AND ');
      if (fk.onDelete === 'CASCADE') return `DELETE FROM ${quoteId(fk.table)} WHERE ${where}; `;
      const nulls = fk.columns.map((c) => `${quoteId(c)} = NULL`);
      const version = fk.childVersion ? [`${quoteId(fk.childVersion)} = GREATEST(NOW(6), ${quoteId(fk.childVersion)} + INTERVAL 1 MICROSECOND)`] : [];
      return `UPDATE ${quoteId(fk.table)} SET ${[...nulls, ...version].join(', ')} WHERE ${where}; `;
    })
    .join('');
}

function triggerBodies(meta: TableMeta): Record<'bi' | 'bu' | 'bd', { event: string; body: string }> {
  const v = quoteId(meta.version);
  const keyChanged = meta.primaryKey.map((c) => `NOT (${sameValue(meta, c)})`).join(' OR ');
  return {
    bi: {
      event: 'BEFORE INSERT',
      body: `BEGIN DECLARE d DATETIME(6); IF ${OUTSIDE_TANDEM} THEN ${pastTombstoneOfNew(meta)}END IF; END`,
    },
    bu: {
      event: 'BEFORE UPDATE',
      body:
        `BEGIN DECLARE d DATETIME(6); IF ${OUTSIDE_TANDEM} THEN ` +
        // A key change is a delete of the old key (Debezium's delete of it is not what carries
        // deletes: docs/loop-prevention.md §3) and an insert of the new one.
        `IF ${keyChanged} THEN ${tombstoneOld(meta)} ${pastTombstoneOfNew(meta)}END IF; ` +
        // Every application update is a change the other side must win with: its version moves
        // forward unless the update moved it itself. No data column is named here, so a column
        // dropped or renamed cannot break the trigger (or the application's updates) before
        // Tandem re-installs it (docs/schema-changes.md).
        `IF NEW.${v} <= OLD.${v} THEN SET NEW.${v} = OLD.${v} + INTERVAL 1 MICROSECOND; END IF; END IF; END`,
    },
    bd: {
      event: 'BEFORE DELETE',
      body: `BEGIN IF ${OUTSIDE_TANDEM} THEN ${explicitCascades(meta)}${tombstoneOld(meta)} END IF; END`,
    },
  };
}

/** `k1 <=> ? AND k2 <=> ?`, the key columns as `ref` names them against the bound key. */
function keyMatches(meta: TableMeta, ref: (column: string) => string): string {
  const bound = boundKey(meta);
  return meta.primaryKey.map((c) => `${ref(c)} <=> ${bound(c)}`).join(' AND ');
}

/** The values `uniqueConflicts` binds: version twice, the key (for its JSON), the index values, the key. */
export function uniqueConflictValues(version: string, key: SqlValue[], indexValues: SqlValue[]): SqlValue[] {
  return [version, version, ...key, ...indexValues, ...key];
}

/** Keys travel as one JSON document unless a key column is binary (JSON cannot carry bytes). */
function keysAsJson(meta: TableMeta): boolean {
  return meta.primaryKey.every((c) => !meta.columns.find((m) => m.name === c)?.binary);
}

/**
 * A key column's type inside JSON_TABLE: the column's own, with its character set and collation
 * for text, so JSON_ARRAY renders the key exactly as the triggers render the stored column.
 */
function jsonTableType(column: ColumnMeta | undefined): string {
  if (!column) return 'TEXT';
  const cs = column.charset;
  return cs && isValidIdentifier(cs.name) && isValidIdentifier(cs.collation) ? `${column.sqlType} CHARACTER SET ${cs.name} COLLATE ${cs.collation}` : column.sqlType;
}

/** The bound keys as a table `k (k0, k1, ...)`, joined to their tombstones `ts`. */
function keysJoinTombstones(meta: TableMeta, extraColumns: string[]): string {
  const cols = meta.primaryKey.map((c, j) => `k${j} ${jsonTableType(meta.columns.find((m) => m.name === c))} PATH '$[${j}]'`);
  // STRAIGHT_JOIN: one primary-key lookup (and lock) per incoming key, never a scan of all tombstones.
  return (
    `JSON_TABLE(?, '$[*]' COLUMNS (${[...extraColumns, ...cols].join(', ')})) AS k ` +
    `STRAIGHT_JOIN ${quoteId(TOMBSTONE_TABLE)} AS ts ON ts.tbl = ? AND ts.pk_hash = ${pkDigest(`JSON_ARRAY(${meta.primaryKey.map((_, j) => `k.k${j}`).join(', ')})`)}`
  );
}

function tombstoneLockJson(meta: TableMeta): string {
  return `SELECT k.i - 1 AS i, ts.deleted_at AS deleted_at FROM ${keysJoinTombstones(meta, ['i FOR ORDINALITY'])} FOR UPDATE`;
}

const mariadbOneTrip: OneTripSql = {
  tombstoneGuard: (meta) =>
    keysAsJson(meta)
      ? // Under REPEATABLE READ the locks stay on every examined tombstone (and on the gap of a
        // missing one), not only on those counted. A version that does not convert counts too.
        `SELECT COUNT(*) INTO ${BURIED_VAR} FROM ${keysJoinTombstones(meta, [`v DATETIME(6) PATH '$[${meta.primaryKey.length}]'`])} ` +
        'WHERE IFNULL(ts.deleted_at >= k.v, TRUE) FOR UPDATE'
      : undefined,
  tombstoneGuardValues: (table, rows) => [JSON.stringify(rows.map((r) => [...r.key.map(jsonKey), r.version])), table],
  refuseIfBuried:
    `BEGIN NOT ATOMIC IF ${BURIED_VAR} > 0 THEN ` +
    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tandem: a tombstone refuses rows of this flush; redoing it row by row'; END IF; END",
};

function jsonKey(v: SqlValue): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function tombstoneLock(rows: number, boundPk: string): string {
  const keys = new Array(rows).fill(`SELECT ? AS i, ${pkDigest(boundPk)} AS pk_hash`).join(' UNION ALL ');
  return (
    `SELECT k.i AS i, ts.deleted_at AS deleted_at FROM (${keys}) AS k ` +
    `JOIN ${quoteId(TOMBSTONE_TABLE)} AS ts ON ts.tbl = ? AND ts.pk_hash = k.pk_hash FOR UPDATE`
  );
}

function deleteGuarded(meta: TableMeta, rows: number): string {
  const t = quoteId(meta.name);
  const keyCols = `(${meta.primaryKey.map((c) => `t.${quoteId(c)}`).join(', ')})`;
  const keyTuples = placeholders(meta.primaryKey.length, rows);
  return (
    `DELETE t FROM ${t} AS t JOIN ${quoteId(TOMBSTONE_TABLE)} AS ts ` +
    `ON ts.tbl = ? AND ts.pk_hash = ${pkDigest(pkOf(meta, (c) => `t.${quoteId(c)}`))} ` +
    `WHERE ${keyCols} IN (${keyTuples}) AND t.${quoteId(meta.version)} <= ts.deleted_at`
  );
}

function common(name: Dialect['name']): Omit<Dialect, 'upsert' | 'upsertTombstones' | 'sessionSetup' | 'serverIdentity' | 'createTriggers' | 'tombstoneMigration'> {
  return {
    name,
    lockTombstones: (meta, rows) => (keysAsJson(meta) ? tombstoneLockJson(meta) : tombstoneLock(rows, pkOf(meta, boundKey(meta)))),
    lockTombstoneValues(meta, table, keys) {
      if (keysAsJson(meta)) return [JSON.stringify(keys.map((k) => k.map(jsonKey))), table];
      const values: SqlValue[] = [];
      keys.forEach((k, i) => values.push(i, ...k));
      values.push(table);
      return values;
    },
    deleteGuarded,
    purge: tombstonePurge(),
    tombstoneByPkText: () =>
      `INSERT INTO ${quoteId(TOMBSTONE_TABLE)} (tbl, pk, deleted_at, origin) VALUES (?, ?, ?, ?) ` +
      'ON DUPLICATE KEY UPDATE origin = IF(VALUES(deleted_at) > deleted_at, VALUES(origin), origin), deleted_at = GREATEST(deleted_at, VALUES(deleted_at))',
    deleteGuardedByPkText: (meta) => {
      const pk = pkOf(meta, (c) => `t.${quoteId(c)}`);
      return (
        `DELETE t FROM ${quoteId(meta.name)} AS t JOIN ${quoteId(TOMBSTONE_TABLE)} AS ts ON ts.tbl = ? AND ts.pk_hash = ${pkDigest('?')} ` +
        `WHERE ${pk} = ts.pk AND t.${quoteId(meta.version)} <= ts.deleted_at`
      );
    },
    lockVersion: (meta) =>
      `SELECT CAST(${quoteId(meta.version)} AS CHAR) AS v FROM ${quoteId(meta.name)} WHERE ${keyMatches(meta, (c) => quoteId(c))} FOR UPDATE`,
    uniqueConflicts: (meta, index) => {
      const stored = pkOf(meta, (c) => `t.${quoteId(c)}`);
      const incoming = pkOf(meta, boundKey(meta));
      const v = `t.${quoteId(meta.version)}`;
      const bound = boundKey(meta);
      return (
        `SELECT CAST(${stored} AS CHAR) AS tandem_pk, CAST(${v} AS CHAR) AS tandem_version, ` +
        `(${v} < CAST(? AS DATETIME(6)) OR (${v} = CAST(? AS DATETIME(6)) AND CAST(${stored} AS BINARY) < CAST(${incoming} AS BINARY))) AS tandem_incoming_wins, t.* ` +
        `FROM ${quoteId(meta.name)} AS t WHERE ${index.columns.map((c) => `t.${quoteId(c)} = ${bound(c)}`).join(' AND ')} ` +
        `AND NOT (${keyMatches(meta, (c) => `t.${quoteId(c)}`)}) FOR UPDATE`
      );
    },
    createTombstoneTable: tombstoneTableDdl,
    dropTombstoneTable: () => `DROP TABLE IF EXISTS ${quoteId(TOMBSTONE_TABLE)}`,
    dropTriggers: (table) => tandemTriggerNames(table).map((name) => `DROP TRIGGER IF EXISTS ${quoteId(name)}`),
    maxAllowedPacket: () => 'SELECT @@SESSION.max_allowed_packet AS max_allowed_packet',
  };
}

function tombstoneValuesRow(meta: TableMeta): string {
  return `(?, ${pkOf(meta, boundKey(meta))}, ?, ?)`;
}

export const mariadbDialect: Dialect = {
  ...common('mariadb'),
  oneTrip: mariadbOneTrip,
  tombstoneMigration: tombstoneMigration('CREATE OR REPLACE TRIGGER'),
  serverIdentity: () => 'SELECT @@GLOBAL.server_id AS server_id, @@GLOBAL.gtid_domain_id AS gtid_domain_id',
  sessionSetup: ({ serverId, gtidDomainId }) => [
    // A domain of its own: MariaDB's @@gtid_binlog_pos keeps one GTID per domain, and Debezium
    // refuses to resume from a GTID that is not there (one domain shared with the application
    // makes every connector restart after a Tandem write fail).
    { sql: 'SET SESSION server_id = ?, SESSION gtid_domain_id = ?', values: [serverId, gtidDomainId] },
    ...PINNED_SESSION,
    { sql: 'SET @tandem_apply = 1, SESSION foreign_key_checks = 0', values: [] },
  ],
  upsert(meta, rows) {
    const cols = meta.insertColumns;
    return (
      `INSERT INTO ${quoteId(meta.name)} (${cols.map(quoteId).join(', ')}) VALUES ${placeholders(cols.length, rows)} ` +
      `ON DUPLICATE KEY UPDATE ${guardedAssignments(meta, (c) => `VALUES(${quoteId(c)})`, quoteId)}`
    );
  },
  upsertTombstones: (meta, rows) =>
    `INSERT INTO ${quoteId(TOMBSTONE_TABLE)} (tbl, pk, deleted_at, origin) VALUES ${new Array(rows).fill(tombstoneValuesRow(meta)).join(', ')} ` +
    'ON DUPLICATE KEY UPDATE origin = IF(VALUES(deleted_at) > deleted_at, VALUES(origin), origin), ' +
    'deleted_at = GREATEST(deleted_at, VALUES(deleted_at))',
  createTriggers(meta) {
    const bodies = triggerBodies(meta);
    return (['bi', 'bu', 'bd'] as const).map(
      (s) => `CREATE OR REPLACE TRIGGER ${quoteId(triggerName(meta.name, s))} ${bodies[s].event} ON ${quoteId(meta.name)} FOR EACH ROW ${bodies[s].body}`,
    );
  },
};

/** MySQL 8.0.19+: `VALUES()` in ON DUPLICATE KEY UPDATE is deprecated; use a row alias. */
const ROW_ALIAS = 'tandem_new';
export const mysql8Dialect: Dialect = {
  ...common('mysql8'),
  // No CREATE OR REPLACE TRIGGER in MySQL: drop, then create.
  tombstoneMigration: tombstoneMigration('CREATE TRIGGER'),
  serverIdentity: () => 'SELECT @@GLOBAL.server_id AS server_id',
  // MySQL has no session server_id nor GTID domain: origin rests on the no-op backstop
  // (docs/loop-prevention.md §1).
  sessionSetup: () => [...PINNED_SESSION, { sql: 'SET @tandem_apply = 1, SESSION foreign_key_checks = 0', values: [] }],
  upsert(meta, rows) {
    const cols = meta.insertColumns;
    const t = quoteId(meta.name);
    return (
      `INSERT INTO ${t} (${cols.map(quoteId).join(', ')}) VALUES ${placeholders(cols.length, rows)} AS ${ROW_ALIAS} ` +
      `ON DUPLICATE KEY UPDATE ${guardedAssignments(meta, (c) => `${ROW_ALIAS}.${quoteId(c)}`, (c) => `${t}.${quoteId(c)}`)}`
    );
  },
  upsertTombstones: (meta, rows) => {
    const t = quoteId(TOMBSTONE_TABLE);
    return (
      `INSERT INTO ${t} (tbl, pk, deleted_at, origin) VALUES ${new Array(rows).fill(tombstoneValuesRow(meta)).join(', ')} AS ${ROW_ALIAS} ` +
      `ON DUPLICATE KEY UPDATE origin = IF(${ROW_ALIAS}.deleted_at > ${t}.deleted_at, ${ROW_ALIAS}.origin, ${t}.origin), ` +
      `deleted_at = GREATEST(${t}.deleted_at, ${ROW_ALIAS}.deleted_at)`
    );
  },
  createTriggers(meta) {
    const bodies = triggerBodies(meta);
    // No CREATE OR REPLACE TRIGGER in MySQL: drop, then create (not atomic; setup is run offline).
    return [
      ...this.dropTriggers(meta.name),
      ...(['bi', 'bu', 'bd'] as const).map(
        (s) => `CREATE TRIGGER ${quoteId(triggerName(meta.name, s))} ${bodies[s].event} ON ${quoteId(meta.name)} FOR EACH ROW ${bodies[s].body}`,
      ),
    ];
  },
};

/** Picks the dialect from `SELECT VERSION()`; refuses servers Tandem does not support. */
export function dialectFor(version: string): Dialect {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new RangeError(`cannot read server version ${JSON.stringify(version)}`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (/mariadb/i.test(version)) {
    if (major > 10 || (major === 10 && minor >= 6)) return mariadbDialect;
    throw new RangeError(`MariaDB ${major}.${minor} is not supported: Tandem needs MariaDB 10.6 or later`);
  }
  if (major >= 8) return mysql8Dialect;
  throw new RangeError(`MySQL ${major}.${minor} is not supported: Tandem needs MySQL 8.0.19 or later`);
}
