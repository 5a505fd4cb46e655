// The sink that ends every Tandem topology: batched, LWW-guarded, idempotent writes into
// MySQL/MariaDB, one transaction per flush, durable before write() resolves.
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { SyncedTables } from '../config';
import { addWriteResult, isSchemaChange, offsetRanges, type ChangeEvent, type DeadLetter, type Sink, type SinkWriteResult } from '../model';
import { TandemError, fatal, retriable } from '../errors';
import { createLogger, type Logger } from '../observe';
import { applyDeletes, applyInOneTrip, applyUpserts, SINK_STAGE, type ApplyCounts, type PlannedChunk } from './apply';
import { Batcher, group, writeAll, type Chunk } from './batcher';
import { isConnectionError, isDeadlock, toTandemError } from './classify';
import { createSinkPool, redactUrl, tandemSessions } from './connection';
import { isValidIdentifier } from './dialect';
import { prepare, targetTableOf, type PreparedDelete, type PreparedUpsert } from './prepare';
import { readTableMeta, type TableMeta } from './table-meta';
import { SchemaChanges } from './schema-changes';
import { eventBytes } from './sql-size';
import { TombstonePurge } from './tombstone-purge';

export interface SinkTableOptions {
  primaryKey: string[];
  versionColumn?: string;
}

export interface MysqlSinkOptions {
  /** `mysql://user:password@host:port/database`; or pass a ready pool (then close() leaves it open). */
  url?: string;
  pool?: Pool;
  /** The allow-list: target tables this sink may write, with their key. */
  tables: Record<string, SinkTableOptions>;
  /**
   * The live allow-list, shared with the topology (RENAME TABLE, DROP TABLE, TANDEM_TABLES=*):
   * when given, it is the allow-list and `tables` only seeds the start.
   */
  synced?: SyncedTables;
  /** How long a replayed schema change waits for a table lock before its lane retries it (s, default 30). */
  ddlLockWaitSeconds?: number;
  /** Session server_id of every write (TANDEM_SERVER_ID). Default 4100. */
  serverId?: number;
  /** Session gtid_domain_id of every write on MariaDB (TANDEM_GTID_DOMAIN_ID). Default 4100. */
  gtidDomainId?: number;
  maxRows?: number;
  lingerMs?: number;
  /**
   * Flushes applied at once, each on its own connection (TANDEM_SINK_CONNECTIONS, default 1). A row's
   * Kafka partition picks its batcher, so one key's changes keep their order; across partitions the
   * order is free (the LWW guard and tombstones make it so).
   */
  connections?: number;
  /** Connections of the pool; default `connections` + 1 (the tombstone purge takes one now and then). */
  poolSize?: number;
  /**
   * Tombstones older than this are purged (TANDEM_TOMBSTONE_RETENTION). Default 7 days. Must exceed
   * the longest time a change can be delayed: an older delete can be resurrected by a late update.
   */
  tombstoneRetentionMs?: number;
  /** Called with every dead letter as it is found (they are also in write()'s result). */
  onDeadLetter?: (dl: DeadLetter) => void;
  /**
   * This database's id in the topology (`a`, `b`: its Debezium topic prefix). Schema changes use it
   * to reach the other database's sink of the process (docs/schema-changes.md). Default: the name.
   */
  databaseId?: string;
  /** Told each time a flush lost a deadlock against another flush and goes again (metrics). */
  onDeadlock?: () => void;
  /** Told after each flush that committed: its rows and how long its transaction took (metrics). */
  onFlush?: (rows: number, ms: number) => void;
  name?: string;
  logger?: Logger;
}

const DAY_MS = 86_400_000;
const MiB = 1024 * 1024;
/** max_allowed_packet counts the command byte too; the rest is slack. */
const PACKET_MARGIN = 1024;
/** Until the first session tells the target's max_allowed_packet: MySQL's smallest default. */
const PACKET_UNTIL_KNOWN = 4 * MiB;
/** A flush that keeps losing deadlocks is handed to the runtime's retry (with its back-off) after this. */
const DEADLOCK_ATTEMPTS = 5;

/**
 * How many bytes of events (sql-size.ts eventBytes) a flush takes: the statement limit less room
 * for the statements' own text (column lists, the LWW guard; a few kB per table of a flush).
 * When this is not enough the statements are measured exactly and split anyway (apply.ts).
 */
export function flushBudget(maxPacket: number): number {
  const limit = maxPacket - PACKET_MARGIN;
  return limit - Math.min(MiB, Math.floor(limit / 4));
}

/** The database name a `mysql://…/db` URL names (the schema changes requalify names with it). */
function databaseOf(url: string | undefined): string {
  try {
    return url ? decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) : '';
  } catch {
    return '';
  }
}

export function mysqlSink(options: MysqlSinkOptions): Sink {
  const maxRows = options.maxRows ?? 1000;
  const connections = options.connections ?? 1;
  const lingerMs = options.lingerMs ?? 20;
  const serverId = options.serverId ?? 4100;
  const retentionMs = options.tombstoneRetentionMs ?? 7 * DAY_MS;
  const name = options.name ?? 'mysql-sink';
  const log = options.logger ?? createLogger({ component: name });
  if (!options.url && !options.pool) throw fatal('mysqlSink needs `url` or `pool`', { stage: SINK_STAGE });
  if (!Number.isInteger(maxRows) || maxRows < 1) throw fatal(`maxRows must be a positive integer, got ${maxRows}`, { stage: SINK_STAGE });
  if (!Number.isInteger(connections) || connections < 1) throw fatal(`connections must be a positive integer, got ${connections}`, { stage: SINK_STAGE });
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1) throw fatal(`tombstoneRetentionMs must be a positive integer of milliseconds, got ${retentionMs}`, { stage: SINK_STAGE });
  for (const [t, spec] of Object.entries(options.tables)) {
    const bad = [t, ...spec.primaryKey, spec.versionColumn ?? 'updated_at'].filter((n) => !isValidIdentifier(n));
    if (bad.length) throw fatal(`sink table options contain invalid identifiers: ${bad.join(', ')}`, { stage: SINK_STAGE });
    if (spec.primaryKey.length === 0) throw fatal(`sink table ${t} needs a primaryKey`, { stage: SINK_STAGE });
  }
  const ownsPool = !options.pool;
  const pool = options.pool ?? createSinkPool(options.url ?? '', options.poolSize ?? connections + 1, { multipleStatements: true });
  const where = options.url ? redactUrl(options.url) : 'a given pool';
  const sessions = tandemSessions(pool, { serverId, gtidDomainId: options.gtidDomainId ?? 4100 });
  // What the other sink of the process asks of this database (a table's definition, its triggers)
  // runs on a connection of its own: asked while that sink holds one of its own connections, it
  // must never wait for this pool's, which this sink's flushes may hold while asking it back.
  const peerPool = ownsPool ? createSinkPool(options.url ?? '', 1, { multipleStatements: true }) : undefined;
  const peerSessions = peerPool ? tandemSessions(peerPool, { serverId, gtidDomainId: options.gtidDomainId ?? 4100 }) : sessions;
  const metas = new Map<string, Promise<TableMeta>>();
  // The live set when given (schema changes move tables while Tandem runs), else the fixed list.
  const specOf = (table: string): SinkTableOptions | undefined =>
    options.synced ? options.synced.spec(table) : Object.hasOwn(options.tables, table) ? options.tables[table] : undefined;
  const purge = new TombstonePurge({ sessions, retentionMs, log });

  // Read on the flush's own connection: with a pool of one, another connection would never come.
  const metaOf = (conn: PoolConnection, table: string): Promise<TableMeta> => {
    let m = metas.get(table);
    if (!m) {
      const spec = specOf(table);
      if (!spec) {
        // Under *, a schema change of the other lane (DROP, RENAME) can take a table out while its
        // rows wait: the retry decides again. With a fixed list it is a bug of the caller.
        const kind = options.synced?.all ? retriable : fatal;
        return Promise.reject(kind(`table ${table} is not synced by this sink`, { stage: SINK_STAGE }));
      }
      m = readTableMeta(conn, table, spec.versionColumn ?? 'updated_at').then((meta) => {
        if (meta.primaryKey.join(',') !== spec.primaryKey.join(',')) {
          throw fatal(`table ${table}: configured primary key (${spec.primaryKey.join(', ')}) differs from the database's (${meta.primaryKey.join(', ')})`, {
            stage: SINK_STAGE,
          });
        }
        return meta;
      });
      m.catch(() => metas.delete(table));
      metas.set(table, m);
    }
    return m;
  };

  const schema = new SchemaChanges({
    databaseId: options.databaseId ?? name,
    ...(options.ddlLockWaitSeconds !== undefined ? { lockWaitSeconds: options.ddlLockWaitSeconds } : {}),
    database: databaseOf(options.url),
    acquire: () => sessions.acquire(),
    acquireForPeer: () => peerSessions.acquire(),
    dialect: () => sessions.dialect(),
    synced: (table) => specOf(table) !== undefined,
    installTriggers: async (conn, table) => {
      const dialect = await sessions.dialect();
      metas.delete(table);
      const meta = await metaOf(conn, table);
      for (const ddl of dialect.createTriggers(meta)) await conn.query(ddl);
    },
    dropTriggers: async (conn, table) => {
      for (const ddl of (await sessions.dialect()).dropTriggers(table)) await conn.query(ddl);
    },
    ...(options.synced ? { tables: options.synced } : {}),
    forget: (table) => metas.delete(table),
    log,
  });

  interface Group {
    meta: TableMeta;
    upserts: PreparedUpsert[];
    deletes: PreparedDelete[];
  }

  /** Validates and groups the chunk's events per table; refusals become dead letters. */
  async function plan(conn: PoolConnection, chunk: Chunk, counts: ApplyCounts): Promise<Group[]> {
    const groups = new Map<string, Group>();
    // Table definitions already in hand for this chunk: no await (a microtask turn) per event.
    const inHand = new Map<string, TableMeta>();
    for (const event of chunk.events) {
      const table = targetTableOf(event);
      if (specOf(table) === undefined && options.synced?.refusal(table) !== undefined) {
        // A table that cannot be synced (said once, when that was found): its rows are left alone.
        counts.skipped++;
        continue;
      }
      if (specOf(table) === undefined && options.synced?.all) {
        // Dropped or renamed by a schema change of the other lane since its rows were adopted:
        // the retry decides again (adoptTablesOf), never a dead letter.
        throw retriable(`table ${table} is not synced now (a schema change moved it while its rows waited)`, { stage: `table ${table}` });
      }
      if (specOf(table) === undefined) {
        counts.deadLetters.push({ stage: SINK_STAGE, reason: `table ${JSON.stringify(table)} is not in this sink's allow-list`, event, kafka: event.kafka });
        continue;
      }
      let meta: TableMeta;
      try {
        meta = inHand.get(table) ?? (await metaOf(conn, table));
      } catch (err) {
        throw toTandemError(err, 'reading the table definition', table);
      }
      inHand.set(table, meta);
      let p = prepare(meta, event);
      if ('shape' in p) {
        // The schema may have changed since it was read: read it once more.
        metas.delete(table);
        meta = await metaOf(conn, table);
        inHand.set(table, meta);
        p = prepare(meta, event);
      }
      if ('shape' in p) {
        // A row of another shape than the table here: a schema change of its source that is not
        // replayed here yet (or not to be: TANDEM_DDL). It waits for it, it is not dropped.
        throw retriable(`${table}: ${p.reason}`, { stage: `schema of ${table}`, hint: 'a schema change of the source that this side does not have yet; see docs/schema-changes.md' });
      }
      if ('reason' in p) {
        counts.deadLetters.push({ stage: SINK_STAGE, reason: `${table}: ${p.reason}`, event, kafka: event.kafka });
        continue;
      }
      let g = groups.get(table);
      if (!g) groups.set(table, (g = { meta, upserts: [], deletes: [] }));
      if (p.kind === 'upsert') g.upserts.push(p);
      else g.deletes.push(p);
    }
    return [...groups.values()];
  }

  /** One attempt: one transaction for the whole flush. */
  async function flushOnce(chunks: Chunk[]): Promise<SinkWriteResult[]> {
    const dialect = await sessions.dialect();
    const conn = await sessions.acquire();
    // No statement of this flush may be larger: the server would drop the connection.
    const maxBytes = sessions.maxPacket(conn) - PACKET_MARGIN;
    try {
      const planned: PlannedChunk[] = [];
      for (const chunk of chunks) {
        const counts: ApplyCounts = { applied: 0, skipped: 0, deadLetters: [] };
        planned.push({ counts, groups: await plan(conn, chunk, counts) });
      }
      // Deletes first, then upserts: under LWW the order of different versions does not
      // change the outcome, and upserts then see this flush's tombstones.
      if (!(await applyInOneTrip(conn, dialect, planned, maxBytes))) {
        await conn.beginTransaction();
        for (const { groups, counts } of planned) {
          for (const g of groups) {
            if (g.deletes.length) await applyDeletes(conn, dialect, g.meta, g.deletes, counts, maxBytes);
            if (g.upserts.length) await applyUpserts(conn, dialect, g.meta, g.upserts, counts, maxBytes, serverId);
          }
        }
        await conn.commit();
      }
      const results: SinkWriteResult[] = planned.map((p) => p.counts);
      conn.release();
      // In the background, one pooled connection per short chunk: a flush never waits for a
      // purge cycle, at most for one chunk when the pool is busy.
      purge.maybeStart();
      return results;
    } catch (err) {
      const e = toTandemError(err, 'writing a batch');
      if (isConnectionError(err)) {
        conn.destroy();
      } else {
        await conn.rollback().then(
          () => conn.release(),
          () => conn.destroy(),
        );
      }
      throw e;
    }
  }

  // One attempt per flush, but for a deadlock between this sink's own parallel flushes (they lock
  // gaps of the tombstone table): InnoDB rolled the loser back, and it goes again at once. Any
  // other retriable error (lost connection, server down) rejects the writes with kind `retriable`,
  // named after this sink: the caller owns the one retry loop (the runtime waits with lib/errors
  // withRetry for as long as the database is down).
  async function flushRetryingDeadlocks(chunks: Chunk[]): Promise<SinkWriteResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await flushOnce(chunks);
      } catch (err) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(err)) throw err;
        options.onDeadlock?.();
        log.info('a flush lost a deadlock (1213) and runs again at once', { attempt, rows: chunks.reduce((n, c) => n + c.events.length, 0) });
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  // Flushes are bounded by bytes too, against the target's max_allowed_packet as last read.
  const byBytes = { maxBytes: () => flushBudget(sessions.lastMaxPacket() ?? PACKET_UNTIL_KNOWN), sizeOf: eventBytes };
  const flush = async (chunks: Chunk[]): Promise<SinkWriteResult[]> => {
    let results: SinkWriteResult[];
    const started = performance.now();
    try {
      results = await flushRetryingDeadlocks(chunks);
    } catch (err) {
      throw named(err);
    }
    const ms = performance.now() - started;
    const rows = chunks.reduce((n, c) => n + c.events.length, 0);
    options.onFlush?.(rows, ms);
    // Which rows this transaction made durable, and when: make bench-lag's split of a slow row (docs/runtime.md "Latency").
    if (log.enabled('debug')) {
      const committedAtMs = Date.now();
      const coordinates = chunks.flatMap((c) => c.events.flatMap((e) => (e.kafka ? [e.kafka] : [])));
      log.debug('flush', { rows, offsets: offsetRanges(coordinates), startedAtMs: Math.round((committedAtMs - ms) * 100) / 100, committedAtMs, ms: Math.round(ms * 100) / 100 });
    }
    if (options.onDeadLetter) for (const r of results) for (const dl of r.deadLetters) options.onDeadLetter(dl);
    // Conflicts this sink resolved (unique-keys.ts) are audited under its name.
    return results.map((r) => (r.audits?.length ? { ...r, audits: r.audits.map((a) => ({ ...a, stage: name })) } : r));
  };
  // One batcher per connection: each flushes one transaction at a time, in the order it was given.
  // A flush of up to maxRows / connections rows takes along what the idle others hold: a sink
  // that keeps up commits each batch as one transaction (the target's commits, Debezium's
  // transactions and Tandem's round trips fall with it); one that is behind uses every connection.
  const batchers = Array.from({ length: connections }, () => new Batcher(maxRows, lingerMs, flush, byBytes));
  group(batchers, Math.floor(maxRows / connections));

  /** Each event to the batcher of its Kafka partition (one key, one partition: its order holds). */
  function writeRows(events: readonly ChangeEvent[]): Promise<SinkWriteResult> {
    if (batchers.length === 1) return batchers[0].write(events);
    const parts: ChangeEvent[][] = batchers.map(() => []);
    for (const e of events) parts[(e.kafka?.partition ?? 0) % batchers.length].push(e);
    return writeAll(batchers, parts).then((results) => {
      const total: SinkWriteResult = { applied: 0, skipped: 0, deadLetters: [] };
      for (const r of results) addWriteResult(total, r);
      return total;
    });
  }

  /** The error as this sink's: its name is the part an operator waits for, its target in the text. */
  function named(err: unknown): TandemError {
    const e = toTandemError(err, 'writing a batch');
    // A table waiting for its schema is its own part to wait for, not the whole database.
    const stage = e.context.stage?.startsWith('schema of ') ? `${name}: ${e.context.stage}` : name;
    return new TandemError(e.kind, `${name} (${where}): ${e.message}`, { ...e.context, stage }, { cause: e.cause ?? err });
  }

  /**
   * TANDEM_TABLES=*: the first rows of a table not synced yet decide whether it joins (here, before
   * any flush holds a connection: adopting asks the other database too).
   */
  async function adoptTablesOf(events: readonly ChangeEvent[]): Promise<void> {
    if (!options.synced?.all) return;
    const unknown = new Map<string, string>();
    for (const e of events) {
      const table = targetTableOf(e);
      if (specOf(table) === undefined && options.synced.refusal(table) === undefined) unknown.set(table, e.source.name);
    }
    for (const [table, from] of unknown) {
      try {
        await schema.adopt(table, from);
      } catch (err) {
        throw named(err);
      }
    }
  }

  /**
   * Rows before a schema change are durable before it runs (this call's, and every row given to
   * the sink before: a lane may have its previous batch still committing), rows after it are
   * written after it: a DDL statement commits implicitly and changes what the rows must fit.
   */
  async function writeAround(events: readonly ChangeEvent[]): Promise<SinkWriteResult> {
    const total: SinkWriteResult = { applied: 0, skipped: 0, deadLetters: [] };
    let rows: ChangeEvent[] = [];
    const flushRows = async () => {
      if (rows.length === 0) return;
      await adoptTablesOf(rows);
      addWriteResult(total, await writeRows(rows));
      rows = [];
    };
    for (const event of events) {
      if (!isSchemaChange(event)) {
        rows.push(event);
        continue;
      }
      await flushRows();
      await Promise.all(batchers.map((b) => b.flush()));
      try {
        await schema.apply(event);
      } catch (err) {
        throw named(err);
      }
      total.applied++;
    }
    await flushRows();
    return total;
  }

  let closed = false;
  let adopting: Promise<void> = Promise.resolve();
  return {
    name,
    describe: () => `mysql sink → ${where} tables [${Object.keys(options.tables).join(', ')}] maxRows=${maxRows} lingerMs=${lingerMs} connections=${connections} serverId=${serverId}`,
    write(events: readonly ChangeEvent[]) {
      if (closed) return Promise.reject(fatal(`${name} is closed`, { stage: SINK_STAGE }));
      if (events.some(isSchemaChange)) return writeAround(events);
      if (!options.synced?.all) return writeRows(events);
      // Adopting may ask the databases first: rows still reach the batchers in the order given.
      const given = adopting.then(() => adoptTablesOf(events)).then(() => ({ durable: writeRows(events) }));
      adopting = given.then(
        () => undefined,
        () => undefined,
      );
      return given.then((g) => g.durable);
    },
    flush: () => Promise.all(batchers.map((b) => b.flush())).then(() => undefined),
    async close() {
      if (closed) return;
      await Promise.all(batchers.map((b) => b.flush()));
      closed = true;
      await purge.stop();
      schema.close();
      if (ownsPool) await pool.end();
      await peerPool?.end();
    },
  };
}
