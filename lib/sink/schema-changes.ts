// Schema changes that cross (docs/schema-changes.md): a DDL statement the source ran, replayed on
// this side by the sink, in its place among the table's rows (the runtime's per-table lanes keep
// binlog order). Before a replay the table's definition here must be the one this side had after
// the last sync (the start, or Tandem's last replay here); otherwise this side changed the table
// too, both sides changed it at once, and that table waits (its lane only) until an operator
// makes the two definitions equal, never guessing. Triggers of the table are re-installed on both
// sides after a change to it.
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { SyncedTables } from '../config';
import { ddlKind, normaliseDefinition, requalify, tableRename } from '../ddl';
import { fatal, retriable } from '../errors';
import type { ChangeEvent, SchemaChange } from '../model';
import type { Logger } from '../observe';
import { syncability } from '../tables/syncable';
import { describeMysqlError, kindOfMysqlError, toTandemError } from './classify';
import { SQL, quoteId, type Dialect } from './dialect';

/** Longer than any DDL needs once no transaction holds the table; then the lane retries. */
const DDL_LOCK_WAIT_S = 30;

/** Errors that say the statement's effect is already there (a replay after a crash, an operator's fix). */
const ALREADY_APPLIED = new Set([
  1050, // ER_TABLE_EXISTS_ERROR
  1051, // ER_BAD_TABLE_ERROR (DROP of a table that is gone)
  1060, // ER_DUP_FIELDNAME
  1061, // ER_DUP_KEYNAME
  1091, // ER_CANT_DROP_FIELD_OR_KEY
  1146, // ER_NO_SUCH_TABLE (RENAME / TRUNCATE / ALTER of a table renamed or dropped already)
]);

/** What one database offers the schema changes of the other sink of the process. */
export interface SchemaPeer {
  /** The table's definition there (SHOW CREATE TABLE, normalised), or null when it does not exist. */
  definition(table: string): Promise<string | null>;
  /** Re-installs Tandem's triggers of `table` there, if it is synced. */
  refreshTriggers(table: string): Promise<void>;
  /** Drops the triggers named after `table` there (a renamed table takes them along). */
  retireTriggers(table: string): Promise<void>;
}

interface TableState {
  /**
   * Per side (database id): its definition after the last sync, when both sides held it alike
   * (start, a settled conflict) or when Tandem last replayed a statement there. A side whose
   * definition differs from it has changed the table on its own since. Per side, because a
   * replay found already in place (a statement read again) says nothing about the other side.
   */
  expected: Record<string, string>;
  /** Set while both sides changed the table at once: the table's lanes wait. */
  conflict?: { since: number; detail: string; held: Set<string> };
  /**
   * The statements that waited while the definitions differed (either direction's), once an
   * operator made them equal: the operator's definition supersedes them, so none is replayed.
   */
  superseded?: Set<string>;
}

// One process runs both directions of a table: they share what was agreed about it.
const peers = new Map<string, SchemaPeer>();
const states = new Map<string, TableState>();

function stateOf(table: string): TableState {
  let state = states.get(table);
  if (!state) states.set(table, (state = { expected: {} }));
  return state;
}

/** Forgets the shared state (tests run several sinks on fresh databases in one process). */
export function resetSchemaState(): void {
  states.clear();
}

/**
 * At start: the definition of each table that every database of the process holds alike is what
 * they agree on, so a change made on both sides at once while Tandem runs is caught. A table whose
 * definitions differ already is left open (a change of one side may still be on its way).
 */
export async function primeSchemaAgreement(tables: readonly string[]): Promise<void> {
  const all = [...peers.values()];
  if (all.length < 2) return;
  for (const table of tables) {
    const defs = await Promise.all(all.map((p) => p.definition(table)));
    const state = stateOf(table);
    if (defs.every((d) => d !== null && d === defs[0])) for (const id of peers.keys()) state.expected[id] = defs[0] as string;
  }
}

export interface SchemaChangesOptions {
  /** This database's id (the topic prefix of its own changes: `a`, `b`). */
  databaseId: string;
  /** How long a statement waits for the table's metadata lock before the lane retries it (s). */
  lockWaitSeconds?: number;
  /** This database's name (the URL's path). */
  database: string;
  acquire(): Promise<PoolConnection>;
  /** A connection for what the other sink asks of this database (never one a flush may hold). */
  acquireForPeer?(): Promise<PoolConnection>;
  dialect(): Promise<Dialect>;
  /** Whether Tandem syncs the table (its triggers are installed). */
  synced(table: string): boolean;
  /** Installs (or re-installs) the triggers of a synced table on this connection. */
  installTriggers(conn: PoolConnection, table: string): Promise<void>;
  /** Drops the triggers named after `table` on this connection. */
  dropTriggers(conn: PoolConnection, table: string): Promise<void>;
  /**
   * The synced tables as schema changes move them: a renamed table is synced under its new name,
   * a dropped one no more, and under TANDEM_TABLES=* a table joins once both sides have it.
   */
  tables?: SyncedTables;
  /** The table's cached definition is stale. */
  forget(table: string): void;
  log: Logger;
}


export class SchemaChanges implements SchemaPeer {
  constructor(private readonly o: SchemaChangesOptions) {
    peers.set(o.databaseId, this);
  }

  close(): void {
    if (peers.get(this.o.databaseId) === this) peers.delete(this.o.databaseId);
  }

  async definition(table: string): Promise<string | null> {
    const conn = await this.peerConnection();
    try {
      return await this.definitionOn(conn, table);
    } finally {
      conn.release();
    }
  }

  private async definitionOn(conn: PoolConnection, table: string): Promise<string | null> {
    try {
      const [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE ${quoteId(table)}`);
      return rows.length ? normaliseDefinition(String(rows[0]['Create Table'])) : null;
    } catch (err) {
      if ((err as { errno?: number }).errno === 1146) return null;
      throw toTandemError(err, 'reading the table definition', table);
    }
  }

  async refreshTriggers(table: string): Promise<void> {
    if (!this.o.synced(table)) return;
    const conn = await this.peerConnection();
    try {
      this.o.forget(table);
      if ((await this.definitionOn(conn, table)) !== null) {
        try {
          await this.o.installTriggers(conn, table);
        } catch (err) {
          // Dropped (or renamed) by the application meanwhile: nothing left to install them on.
          if ((await this.definitionOn(conn, table)) !== null) throw err;
          this.o.forget(table);
        }
      }
    } finally {
      conn.release();
    }
  }

  async retireTriggers(table: string): Promise<void> {
    const conn = await this.peerConnection();
    try {
      await this.o.dropTriggers(conn, table);
    } finally {
      conn.release();
    }
  }

  /**
   * Which tables are synced after a replayed statement: a rename carries the sync to the new
   * name, a DROP TABLE ends it, and under TANDEM_TABLES=* a table not synced yet (just created,
   * or changed so it now can be) joins when it can, or is reported once with the reason.
   */
  private async follow(conn: PoolConnection, event: ChangeEvent & { ddl: SchemaChange }, table: string): Promise<string[]> {
    const tables = this.o.tables;
    if (!tables) return [];
    const from = event.source.name;
    const rename = tableRename(event.ddl.statement);
    if (rename && tables.has(rename.from)) {
      tables.rename(rename.from, rename.to);
      this.forgetAgreement(rename.from);
      await this.o.dropTriggers(conn, rename.from);
      await peers.get(from)?.retireTriggers(rename.from);
      if (tables.all) this.o.log.info(`table ${rename.from} was renamed to ${rename.to}: synced under its new name`, { table: rename.to });
      else {
        // An explicit TANDEM_TABLES subscribes to the listed tables' topics only: the new name's
        // rows are read once it is listed (TANDEM_TABLES=* follows renames by itself).
        this.o.log.warn(`table ${rename.from} was renamed to ${rename.to} on both sides: its schema changes still cross, but its rows cross only once TANDEM_TABLES names ${rename.to} and Tandem restarts (or use TANDEM_TABLES=*)`, { table: rename.to });
      }
      return [rename.to];
    }
    if (ddlKind(event.ddl.statement) === 'drop-table') {
      for (const t of new Set([table, ...event.ddl.tables.map((x) => x.table)])) {
        // A DROP read again (a new consumer group) while the table exists, created again since: not the end of its sync.
        if ((await this.definitionOn(conn, t)) !== null) continue;
        if (tables.has(t)) this.o.log.info(`table ${t} was dropped on both sides: no longer synced`, { table: t });
        tables.remove(t);
      }
      return [];
    }
    // A table joins when it exists on both sides: under *, any; with a list, one it names (dropped, then created again).
    const listed = tables.listed(table);
    if (!(tables.all || listed) || tables.has(table) || (await this.definitionOn(conn, table)) === null) return [];
    const verdict = await syncability(conn, table);
    if (verdict.ok) {
      tables.add(listed ?? verdict.spec);
      this.o.log.info(`table ${table} exists on both sides now: synced (${listed ? 'TANDEM_TABLES names it' : 'TANDEM_TABLES=*'})`, { table, primaryKey: (listed ?? verdict.spec).primaryKey });
      return [table];
    }
    if (tables.refuse(table, verdict.reason)) {
      this.o.log.warn(`table ${table} exists on both sides (its schema changes cross) but its rows are not synced: ${verdict.reason}`, { table, hint: 'give it a primary key and updated_at DATETIME(6) NOT NULL; it joins after that ALTER' });
    }
    return [];
  }

  private peerConnection(): Promise<PoolConnection> {
    return this.o.acquireForPeer ? this.o.acquireForPeer() : this.o.acquire();
  }

  /**
   * TANDEM_TABLES=*: a row of a table not synced yet reached this side. The table joins if it is
   * here and can be synced (triggers on both sides); it is left alone, said once, if it cannot,
   * or if it exists on neither side any more (a table dropped since, read by a new consumer
   * group); while it exists only on the source, the row waits for its CREATE TABLE.
   */
  async adopt(table: string, from: string): Promise<void> {
    const tables = this.o.tables;
    if (!tables?.all || tables.has(table) || tables.refusal(table) !== undefined) return;
    const conn = await this.o.acquire();
    try {
      await this.adoptOn(conn, table, from, tables);
    } finally {
      conn.release();
    }
    if (tables.has(table)) await peers.get(from)?.refreshTriggers(table);
  }

  private async adoptOn(conn: PoolConnection, table: string, from: string, tables: SyncedTables): Promise<void> {
    if ((await this.definitionOn(conn, table)) === null) {
      const there = await peers.get(from)?.definition(table).catch(() => undefined);
      if (there === null) {
        if (tables.refuse(table, 'it exists on neither side any more')) this.o.log.info(`table ${table} exists on neither side any more: its changes still in Kafka are dropped`, { table });
        return;
      }
      throw retriable(`table ${table} is not here yet: waiting for its CREATE TABLE to be replayed`, {
        stage: `table ${table}`,
        hint: 'a table created on one side joins once its CREATE TABLE is replayed on the other (docs/schema-changes.md)',
      });
    }
    const verdict = await syncability(conn, table);
    if (!verdict.ok) {
      if (tables.refuse(table, verdict.reason)) this.o.log.warn(`table ${table} is not synced: ${verdict.reason}`, { table });
      return;
    }
    tables.add(verdict.spec);
    this.o.log.info(`table ${table} is here and can be synced: synced (TANDEM_TABLES=*)`, { table, primaryKey: verdict.spec.primaryKey });
    this.o.forget(table);
    await this.o.installTriggers(conn, table);
  }

  private forgetAgreement(table: string): void {
    states.delete(table);
  }

  /**
   * Replays one schema change here. Resolves once it is applied (or found applied already);
   * rejects with a `retriable` error while both sides' definitions of the table conflict, or
   * while the table is locked: the caller's lane waits, the other tables go on.
   */
  async apply(event: ChangeEvent & { ddl: SchemaChange }): Promise<void> {
    const table = event.ddl.tables[0]?.table ?? event.source.table;
    const stage = `schema of ${table}`;
    const from = event.source.name;
    const state = stateOf(table);
    const here = this.o.databaseId;
    let joined: string[] = [];
    let alike = false;
    const conn = await this.o.acquire();
    try {
      const mine = await this.definitionOn(conn, table);
      const key = statementKey(event);
      if (state.superseded?.delete(key)) {
        this.o.log.info(`table ${table}: a statement of ${from} that waited while the definitions differed is not replayed; the definition the operator settled on stands`, { table, ddl: event.ddl.statement });
        return;
      }
      const conflict = state.conflict;
      if (conflict) {
        conflict.held.add(key);
        // Waiting for an operator: resolved once both sides hold the same definition; the
        // statements that crossed meanwhile are not replayed over the operator's choice.
        const theirs = await peers.get(from)?.definition(table);
        if (state.conflict !== conflict) {
          // The other direction saw it settled while this one read: this statement waited too.
          state.superseded?.delete(key);
          return;
        }
        if (theirs !== undefined && mine === theirs) {
          this.o.log.info(`table ${table}: both sides have the same definition again; its changes flow again`, { table, waitedMs: Date.now() - conflict.since });
          // The other direction's statement that waited is superseded too (this one is done).
          state.superseded = new Set([...conflict.held].filter((k) => k !== key));
          state.conflict = undefined;
          if (mine !== null) for (const id of peers.keys()) state.expected[id] = mine;
          return;
        }
        throw retriable(`table ${table}: its definitions on ${from} and ${here} differ (${conflict.detail}); waiting until they are made equal`, { stage, hint: 'see docs/schema-changes.md, "Both sides changed a table at once"' });
      }
      // Already alike on both sides (including absent from both): a statement read again (a new
      // consumer group reads the schema topic from its beginning) or made on both by hand. Not
      // replayed: running the past again would resurrect dropped tables and set definitions back.
      if (ddlKind(event.ddl.statement) !== 'truncate') {
        const theirs = await peers.get(from)?.definition(table).catch(() => undefined);
        if (theirs !== undefined && theirs === mine) {
          this.o.log.info(`table ${table}: already alike on both sides; a statement of ${from} is not replayed`, { table, ddl: event.ddl.statement, at: `${event.source.file}:${event.source.pos}` });
          for (const id of [here, from]) {
            if (mine === null) delete state.expected[id];
            else state.expected[id] = mine;
          }
          alike = true;
        }
      }
      if (alike) {
        joined = await this.follow(conn, event, table);
      } else {
        await this.replay(conn, event, table, state, from, mine);
        joined = await this.follow(conn, event, table);
      }
    } finally {
      conn.release();
    }
    // Column lists are read into the triggers when they are installed: both sides, now. A parent
    // table's delete trigger carries its children's ON DELETE actions, so a foreign key added or
    // dropped anywhere re-installs every synced table's (the statement need not name the parent).
    const foreignKeys = /\bFOREIGN\s+KEY\b|\bREFERENCES\b/i.test(event.ddl.statement) ? (this.o.tables?.names() ?? []) : [];
    const refresh = alike ? joined : [table, ...event.ddl.tables.map((t) => t.table), ...joined, ...foreignKeys];
    for (const changed of new Set(refresh)) {
      await this.refreshTriggers(changed);
      await peers.get(from)?.refreshTriggers(changed);
    }
  }

  /** Runs the statement here once this side has changed nothing on its own since its last sync. */
  private async replay(conn: PoolConnection, event: ChangeEvent & { ddl: SchemaChange }, table: string, state: TableState, from: string, mine: string | null): Promise<void> {
    const here = this.o.databaseId;
    const expected = state.expected[here] ?? mine ?? undefined;
    if (mine !== null && expected !== undefined && mine !== expected && ddlKind(event.ddl.statement) !== 'create-table') {
      await this.conflict(state, table, from, event, `${here} changed it too`, mine);
    }
    await this.execute(conn, event, table, state, from);
    // Synced: this side as the replay left it, and the source as it is now (its statement is
    // here now; a change it made since, not yet here, is caught when that statement comes).
    const after = await this.definitionOn(conn, table);
    const source = await peers.get(from)?.definition(table).catch(() => undefined);
    for (const [id, def] of [[here, after], [from, source]] as const) {
      if (def === undefined) continue;
      if (def === null) delete state.expected[id];
      else state.expected[id] = def;
    }
    this.o.forget(table);
    for (const changed of event.ddl.tables.map((t) => t.table)) this.o.forget(changed);
  }

  private async execute(conn: PoolConnection, event: ChangeEvent & { ddl: SchemaChange }, table: string, state: TableState, from: string): Promise<void> {
    const sql = requalify(event.ddl.statement, event.ddl.database, this.o.database);
    if ((await this.o.dialect()).name !== 'mariadb') {
      // No session server_id on MySQL 8: the replay's record would carry this server's id, pass
      // the origin filter and be replayed back, for ever (a MODIFY is never "already applied").
      throw fatal(`cannot replay schema changes on ${this.o.databaseId}: only MariaDB lets Tandem's session mark its statements (server_id), so a replay would come back`, {
        stage: `schema of ${table}`,
        hint: 'set TANDEM_DDL=none and make schema changes on both sides by hand (docs/schema-changes.md)',
      });
    }
    try {
      await conn.query(SQL.lockWaitTimeout, [this.o.lockWaitSeconds ?? DDL_LOCK_WAIT_S]);
      await conn.query(sql);
      this.o.log.info(`replayed a schema change of ${from}`, { table, ddl: sql, at: `${event.source.file}:${event.source.pos}` });
    } catch (err) {
      const errno = (err as { errno?: number }).errno ?? 0;
      if (ALREADY_APPLIED.has(errno)) {
        this.o.log.info(`a schema change of ${from} is already in place here`, { table, ddl: sql, error: describeMysqlError(err) });
        return;
      }
      // Locks and lost connections are the environment: the lane waits and tries again.
      if (kindOfMysqlError(err) === 'retriable') throw toTandemError(err, `replaying ${sql}`, table);
      // The statement cannot run here as it ran there (data that fits a new constraint there
      // but not here, a feature this server lacks): the definitions now differ, and only an
      // operator can say which one is right.
      await this.conflict(state, table, from, event, `replaying it failed here: ${describeMysqlError(err)}`, await this.definitionOn(conn, table));
    } finally {
      await conn.query(SQL.lockWaitTimeoutDefault).catch(() => undefined);
    }
  }

  private async conflict(state: TableState, table: string, from: string, event: ChangeEvent & { ddl: SchemaChange }, why: string, mine: string | null): Promise<never> {
    const theirs = (await peers.get(from)?.definition(table).catch(() => undefined)) ?? '(not readable)';
    state.conflict = { since: Date.now(), detail: why, held: new Set([statementKey(event)]) };
    this.o.log.error(`table ${table}: both sides changed its definition; its changes stop here until an operator makes the two definitions equal (the other tables go on)`, {
      table,
      statement: event.ddl.statement,
      from,
      why,
      [`definition on ${from}`]: theirs,
      [`definition on ${this.o.databaseId}`]: mine ?? '(no such table)',
      hint: 'make both definitions the same by hand (ALTER TABLE on one side or both); Tandem notices and goes on by itself; make verify shows the difference meanwhile',
    });
    throw retriable(`table ${table}: its definitions on ${from} and ${this.o.databaseId} differ (${why}); waiting until they are made equal`, { stage: `schema of ${table}`, hint: 'see docs/schema-changes.md, "Both sides changed a table at once"' });
  }
}

/** One statement of one source, by its binlog position (a retried statement keeps it). */
function statementKey(event: ChangeEvent): string {
  return `${event.source.name}\u0000${event.source.file}\u0000${event.source.pos}`;
}
