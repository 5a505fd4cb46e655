import type { TableSpec } from '../config';
import {
  LocalDateTime,
  contentHash,
  deleteVersion,
  epochMicrosOf,
  parseColumnType,
  replaces,
  rowVersion,
  tally,
  tombstonePkHash,
  type ChangeEvent,
  type ColumnType,
  type DeadLetter,
  type Op,
  type Row,
  type Sink,
  type SinkWriteResult,
  type Version,
} from '../model';
import { keyString } from '../stages';

export interface InMemoryDatabaseOptions {
  /** Database id and Debezium topic prefix (`a`). */
  id: string;
  /** Schema name, the middle of topic names (`chat`). */
  database: string;
  /** The server's own id: what application writes carry. */
  serverId: number;
  /** What Tandem's writes carry. */
  tandemServerId: number;
  tables: readonly TableSpec[];
  /**
   * Column types per table, in table order (`{ name: 'body', type: 'TEXT' }`), as the table's DDL
   * writes them. The tie-break digest hashes TEXT, BLOB and JSON columns whole and renders each
   * value as its column holds it (DATETIME(3), DECIMAL(12,4)); without them a table's columns are
   * taken in the order its rows first name them, typed by their values (a string as a VARCHAR).
   */
  columns?: Readonly<Record<string, readonly ColumnDeclaration[]>>;
  tombstoneTable: string;
  /** The driver's clock: NOW(6) in epoch microseconds. */
  now: () => bigint;
  /** Where captured changes go (the driver's topics). */
  emit: (topic: string, event: ChangeEvent) => void;
}

export interface ColumnDeclaration {
  name: string;
  type: string;
}

export interface Tombstone {
  deletedAt: LocalDateTime;
  origin: number;
}

const UPDATED_AT = 'updated_at';

/** MariaDB's rendering of JSON_ARRAY(pk values): `[1, "x"]`. */
function renderPk(values: readonly unknown[]): string {
  return `[${values.map((v) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v))).join(', ')}]`;
}

/**
 * A database as Tandem sees it, for the test driver: tables, Tandem's tombstones and triggers,
 * the MySQL sink's last-writer-wins guards in the sink's own order (lib/model/ordering.ts, with
 * the tie-break digest MariaDB computes, so a conflict has the winner MariaDB would pick), and the
 * change events MariaDB + Debezium would emit for every write that changes something.
 */
export class InMemoryDatabase {
  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly keys: Map<string, string[]>;
  /** Each table's columns in table order, with their types when declared. */
  private readonly columns = new Map<string, Map<string, ColumnType | undefined>>();
  private position = 4;

  constructor(private readonly options: InMemoryDatabaseOptions) {
    this.keys = new Map(options.tables.map((t) => [t.name, t.primaryKey]));
    for (const t of options.tables) {
      this.tables.set(t.name, new Map());
      this.columns.set(t.name, new Map((options.columns?.[t.name] ?? []).map((c) => [c.name, parseColumnType(c.type)])));
    }
  }

  get id(): string {
    return this.options.id;
  }

  // --- application writes: the server's id, Tandem's triggers fire -------------------------

  /** INSERT by the application; `updated_at` defaults to NOW(6). Throws on a duplicate key. */
  insert(table: string, row: Row): void {
    const rows = this.table(table);
    const id = this.idOf(table, row);
    if (rows.has(id)) throw new Error(`duplicate key ${id} in ${this.options.id}.${table}`);
    const next: Row = { ...row, [UPDATED_AT]: row[UPDATED_AT] ?? this.now() };
    // BEFORE INSERT: a key deleted at or after this write's time is re-born just after the delete.
    const tomb = this.tombstones.get(id);
    if (tomb && tomb.deletedAt.epochMicros >= this.micros(next, table)) next[UPDATED_AT] = new LocalDateTime(tomb.deletedAt.epochMicros + 1n);
    this.learnColumns(table, next);
    rows.set(id, next);
    this.capture(table, 'c', null, next, this.options.serverId);
  }

  /** UPDATE by the application of the row with `changes`' key; `updated_at` defaults to NOW(6). */
  update(table: string, changes: Row): void {
    const rows = this.table(table);
    const id = this.idOf(table, changes);
    const old = rows.get(id);
    if (!old) return;
    const next: Row = { ...old, ...changes, [UPDATED_AT]: changes[UPDATED_AT] ?? this.now() };
    // BEFORE UPDATE: a local write never goes back in time (and a data change at the same time
    // moves forward), so the local write is the newest.
    const [was, now] = [this.micros(old, table), this.micros(next, table)];
    if (now < was || (now === was && this.dataOf(table, next) !== this.dataOf(table, old))) {
      next[UPDATED_AT] = new LocalDateTime(this.micros(old, table) + 1n);
    }
    if (keyString(next) === keyString(old)) return;
    this.learnColumns(table, next);
    rows.set(id, next);
    this.capture(table, 'u', old, next, this.options.serverId);
  }

  /** DELETE by the application; the trigger records the tombstone in the same transaction. */
  delete(table: string, key: Row): void {
    const rows = this.table(table);
    const id = this.idOf(table, key);
    const old = rows.get(id);
    if (!old) return;
    const at = this.now().epochMicros > this.micros(old, table) ? this.now().epochMicros : this.micros(old, table) + 1n;
    this.writeTombstone(table, old, { deletedAt: new LocalDateTime(at), origin: this.options.serverId }, this.options.serverId);
    rows.delete(id);
    this.capture(table, 'd', old, null, this.options.serverId);
  }

  // --- reads --------------------------------------------------------------------------------

  row(table: string, key: Row): Row | undefined {
    return this.table(table).get(this.idOf(table, key));
  }

  /** Rows in key order. */
  rows(table: string): Row[] {
    return [...this.table(table).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  }

  /** Every synced table's rows: compare two databases with `t.same(a.snapshot(), b.snapshot())`. */
  snapshot(): Record<string, Row[]> {
    return Object.fromEntries([...this.tables.keys()].map((t) => [t, this.rows(t)]));
  }

  tombstone(table: string, key: Row): Tombstone | undefined {
    return this.tombstones.get(this.idOf(table, key));
  }

  // --- Tandem's writes: the sink ------------------------------------------------------------

  /** This database as the sink Tandem writes to: LWW-guarded, Tandem's server id, triggers silent. */
  sink(name = `mysql-${this.options.id}`): Sink {
    return {
      name,
      describe: () => `in-memory database ${this.options.id} (test driver)`,
      write: async (events) => this.apply(name, events),
      flush: async () => undefined,
      close: async () => undefined,
    };
  }

  private apply(stage: string, events: readonly ChangeEvent[]): SinkWriteResult {
    const result: SinkWriteResult = { applied: 0, skipped: 0, deadLetters: [] };
    const refuse = (event: ChangeEvent, reason: string): void => {
      result.deadLetters.push({ stage, reason, event, ...(event.kafka ? { kafka: event.kafka } : {}) } satisfies DeadLetter);
    };
    for (const event of events) {
      const table = event.target?.table;
      if (table === undefined) refuse(event, 'no target table: the topology has no route stage before this sink');
      // Rows here have no declared columns: a schema change reaches the database and changes nothing.
      else if (event.op === 'ddl') result.applied++;
      else if (!this.tables.has(table)) refuse(event, `table ${table} does not exist in database ${this.options.id}`);
      else if (event.op === 'd' && !event.deletedAt) refuse(event, `delete of ${table} without deletedAt cannot be ordered`);
      else if (event.op !== 'd' && (!event.after || epochMicrosOf(event.after[UPDATED_AT] ?? null) === undefined)) refuse(event, `change of ${table} has no ${UPDATED_AT}`);
      else if (event.op === 'd' ? this.applyDelete(table, event) : this.applyUpsert(table, event.after as Row)) tally(result, table, 1, 0);
      else tally(result, table, 0, 1);
    }
    return result;
  }

  /** The guarded upsert: only a version later than the row and the tombstone it meets (lib/model/ordering.ts). */
  private applyUpsert(table: string, incoming: Row): boolean {
    const rows = this.table(table);
    const id = this.idOf(table, incoming);
    const old = rows.get(id);
    this.learnColumns(table, incoming);
    const version = this.versionOf(table, incoming);
    const tomb = this.tombstones.get(id);
    if (tomb && !replaces(version, deleteVersion(tomb.deletedAt.epochMicros))) return false;
    if (old && !replaces(version, this.versionOf(table, old))) return false;
    const next = { ...old, ...incoming };
    if (old && keyString(next) === keyString(old)) return false;
    rows.set(id, next);
    this.capture(table, old ? 'u' : 'c', old ?? null, next, this.options.tandemServerId);
    return true;
  }

  /** The replicated delete: keep the later tombstone; delete the row only if it is not newer. */
  private applyDelete(table: string, event: ChangeEvent): boolean {
    const key = event.before ?? event.key;
    const id = this.idOf(table, key);
    const deletedAt = event.deletedAt as LocalDateTime;
    const version = deleteVersion(deletedAt.epochMicros);
    const tomb = this.tombstones.get(id);
    let changed = false;
    if (!tomb || replaces(version, deleteVersion(tomb.deletedAt.epochMicros))) {
      const origin = Number(event.headers['tandem-origin'] ?? event.source.serverId);
      this.writeTombstone(table, key, { deletedAt, origin }, this.options.tandemServerId);
      changed = true;
    }
    const old = this.table(table).get(id);
    if (old && replaces(version, this.versionOf(table, old))) {
      this.table(table).delete(id);
      this.capture(table, 'd', old, null, this.options.tandemServerId);
      changed = true;
    }
    return changed;
  }

  // --- helpers ------------------------------------------------------------------------------

  private writeTombstone(table: string, keyRow: Row, tomb: Tombstone, serverId: number): void {
    const id = this.idOf(table, keyRow);
    const pk = renderPk(this.pkOf(table).map((c) => keyRow[c]));
    const old = this.tombstones.get(id);
    // Columns in table order; the row's key is (tbl, pk_hash), as Debezium captures it.
    const pkHash = tombstonePkHash(pk);
    const rowOf = (t: Tombstone): Row => ({ tbl: table, pk_hash: pkHash, pk, deleted_at: t.deletedAt, origin: t.origin });
    this.tombstones.set(id, tomb);
    this.capture(this.options.tombstoneTable, old ? 'u' : 'c', old ? rowOf(old) : null, rowOf(tomb), serverId, { tbl: table, pk_hash: pkHash });
  }

  private capture(table: string, op: Op, before: Row | null, after: Row | null, serverId: number, key?: Row): void {
    const image = (after ?? before) as Row;
    this.position += 1;
    const { id, database } = this.options;
    this.options.emit(`${id}.${database}.${table}`, {
      op,
      before,
      after,
      key: key ?? Object.fromEntries(this.pkOf(table).map((c) => [c, image[c]])),
      source: {
        connector: 'mariadb',
        name: id,
        db: database,
        table,
        serverId,
        gtid: null,
        file: 'mysql-bin.000001',
        pos: this.position,
        row: 0,
        tsMs: Number(this.options.now() / 1000n),
        snapshot: false,
        thread: null,
      },
      headers: {},
    });
  }

  private table(name: string): Map<string, Row> {
    const rows = this.tables.get(name);
    if (!rows) throw new RangeError(`database ${this.options.id} has no table ${name} (have ${[...this.tables.keys()].join(', ')})`);
    return rows;
  }

  private pkOf(table: string): string[] {
    return this.keys.get(table) ?? [];
  }

  private idOf(table: string, row: Row): string {
    const missing = this.pkOf(table).filter((c) => row[c] === undefined);
    if (missing.length > 0) throw new RangeError(`${this.options.id}.${table}: key column(s) ${missing.join(', ')} missing`);
    return `${table}/${keyString(row, this.pkOf(table))}`;
  }

  private micros(row: Row, table: string): bigint {
    const micros = epochMicrosOf(row[UPDATED_AT] ?? null);
    if (micros === undefined) throw new RangeError(`${this.options.id}.${table}: ${UPDATED_AT} must be a DATETIME(6) value`);
    return micros;
  }

  private now(): LocalDateTime {
    return new LocalDateTime(this.options.now());
  }

  /** The data columns (not key, not updated_at) in name order, as canonical text. */
  private dataOf(table: string, row: Row): string {
    const pk = this.pkOf(table);
    return keyString(row, Object.keys(row).filter((c) => c !== UPDATED_AT && !pk.includes(c)).sort());
  }

  /** A row's version, its content digest over the table's data columns as MariaDB computes it. */
  private versionOf(table: string, row: Row): Version {
    const pk = this.pkOf(table);
    const data = [...this.columnsOf(table)].filter(([c]) => c !== UPDATED_AT && !pk.includes(c));
    return rowVersion(this.micros(row, table), () => contentHash(data.map(([c, type]) => ({ value: row[c] ?? null, type }))));
  }

  private columnsOf(table: string): Map<string, ColumnType | undefined> {
    const columns = this.columns.get(table);
    if (!columns) throw new RangeError(`database ${this.options.id} has no table ${table}`);
    return columns;
  }

  /** Columns not declared join the table in the order rows first name them (an undeclared table's order). */
  private learnColumns(table: string, row: Row): void {
    const columns = this.columnsOf(table);
    for (const c of Object.keys(row)) if (!columns.has(c)) columns.set(c, undefined);
  }
}
