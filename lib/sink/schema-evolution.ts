// Schema changes that cross (docs/schema-changes.md): when an event carries a column its target
// table lacks, the sink adds it, with the definition the record's schema gives, before the flush's
// transaction (DDL commits implicitly). Other changes are refused per schema with the reason.
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { ChangeEvent, ColumnSchema } from '../model';
import type { Logger } from '../observe';
import { describeMysqlError, kindOfMysqlError, toTandemError } from './classify';
import { SQL, addColumn, toSqlValue, triggerName, type Dialect, type SqlValue } from './dialect';
import { targetTableOf } from './prepare';
import type { ColumnMeta, TableMeta } from './table-meta';

const SOURCE_TYPE = '__debezium.source.column.type';
const SOURCE_LENGTH = '__debezium.source.column.length';
const SOURCE_SCALE = '__debezium.source.column.scale';
const TYPE_WORDS = /^[A-Z][A-Z0-9_ ]*$/;
/** Longer than any ADD COLUMN needs once no transaction holds the table; then a retriable error. */
const DDL_LOCK_WAIT_S = 30;

const LENGTH_TYPES = new Set(['char', 'varchar', 'binary', 'varbinary', 'bit']);
const FSP_TYPES = new Set(['datetime', 'timestamp', 'time']);
const DECIMAL_TYPES = new Set(['decimal', 'numeric', 'dec', 'fixed']);
const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const PLAIN_TYPES = new Set(['date', 'year', 'float', 'double', 'tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** Column types from Kafka Connect / Debezium types, when the source type is not propagated. */
const BY_SEMANTIC: Readonly<Record<string, (c: ColumnSchema) => string | undefined>> = {
  'org.apache.kafka.connect.data.Decimal': (c) => `DECIMAL(${c.parameters['connect.decimal.precision'] ?? 65},${c.parameters.scale ?? 0})`,
  'io.debezium.time.Date': () => 'DATE',
  'io.debezium.time.Time': () => 'TIME(3)',
  'io.debezium.time.MicroTime': () => 'TIME(6)',
  'io.debezium.time.Timestamp': () => 'DATETIME(3)',
  'io.debezium.time.MicroTimestamp': () => 'DATETIME(6)',
  'io.debezium.time.ZonedTimestamp': () => 'TIMESTAMP(6)',
  'io.debezium.time.Year': () => 'YEAR',
  'io.debezium.data.Json': () => 'JSON',
  // Its values are the column's big-endian bytes: a BLOB would hold other bytes than the source's BIT.
  'io.debezium.data.Bits': (c) => (digits(c.parameters.length) === undefined ? undefined : `BIT(${c.parameters.length})`),
  'io.debezium.data.Enum': (c) => (c.parameters.allowed === undefined ? undefined : `ENUM(${c.parameters.allowed.split(',').map(quoteLiteral).join(',')})`),
  'io.debezium.data.EnumSet': (c) => (c.parameters.allowed === undefined ? undefined : `SET(${c.parameters.allowed.split(',').map(quoteLiteral).join(',')})`),
};
const BY_AVRO_TYPE: Readonly<Record<string, string>> = {
  boolean: 'BOOLEAN', int: 'INT', long: 'BIGINT', float: 'FLOAT', double: 'DOUBLE', string: 'LONGTEXT', bytes: 'LONGBLOB',
};

function quoteLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function digits(text: string | undefined): string | undefined {
  return text !== undefined && /^\d{1,5}$/.test(text) ? text : undefined;
}

/** The SQL type of a column as the record's schema gives it, or why it cannot be known. */
export function columnType(c: ColumnSchema): string | { reason: string } {
  const source = c.parameters[SOURCE_TYPE]?.toUpperCase();
  if (source !== undefined) {
    if (!TYPE_WORDS.test(source)) return { reason: `column ${c.name}: source type ${JSON.stringify(source)} is not a plain type name` };
    const [word, ...modifiers] = source.split(' ');
    const base = word.toLowerCase();
    const length = digits(c.parameters[SOURCE_LENGTH]);
    const scale = digits(c.parameters[SOURCE_SCALE]) ?? '0';
    const rest = modifiers.length ? ` ${modifiers.join(' ')}` : '';
    if (base === 'enum' || base === 'set') return BY_SEMANTIC[base === 'enum' ? 'io.debezium.data.Enum' : 'io.debezium.data.EnumSet'](c) ?? { reason: `column ${c.name}: ${word} without its allowed values` };
    if (DECIMAL_TYPES.has(base)) return length ? `DECIMAL(${length},${scale})${rest}` : `DECIMAL${rest}`;
    if ((LENGTH_TYPES.has(base) || FSP_TYPES.has(base)) && length) return `${word}(${length})${rest}`;
    if (LENGTH_TYPES.has(base) && base !== 'bit') return { reason: `column ${c.name}: ${word} without a length` };
    return source;
  }
  const semantic = c.semantic === undefined ? undefined : BY_SEMANTIC[c.semantic];
  if (semantic) return semantic(c) ?? { reason: `column ${c.name}: ${c.semantic} without the parameters it needs` };
  if (c.semantic !== undefined) return { reason: `column ${c.name}: no SQL type known for ${c.semantic}` };
  return BY_AVRO_TYPE[c.type] ?? { reason: `column ${c.name}: no SQL type known for Avro type ${c.type}` };
}

/** `ADD COLUMN` with the record's type, nullability and default, placed after the same neighbour. */
export function addColumnStatement(table: string, c: ColumnSchema, after: string | undefined): { sql: string; values: SqlValue[] } | { reason: string } {
  const type = columnType(c);
  if (typeof type !== 'string') return type;
  const defaultValue = c.default === null ? (c.optional ? null : undefined) : c.default === undefined ? undefined : toSqlValue(c.default, c.name);
  return addColumn(table, c.name, type, c.optional, defaultValue, after);
}

function numbers(text: string | undefined): string[] {
  return /\(([\d, ]+)\)/.exec(text ?? '')?.[1].split(',').map((n) => n.trim()) ?? [];
}

/**
 * A comparable form of a column type (`varchar(40)`, `decimal(12,4)`, `int unsigned`), or
 * undefined for types whose spelling differs between the record and the catalog (JSON, ENUM...).
 */
function signature(base: string, unsigned: boolean, nums: string[]): string | undefined {
  const b = base === 'integer' ? 'int' : DECIMAL_TYPES.has(base) ? 'decimal' : base;
  if (LENGTH_TYPES.has(b) && b !== 'bit') return nums[0] === undefined ? undefined : `${b}(${nums[0]})`;
  if (b === 'decimal') return nums.length ? `decimal(${nums[0]},${nums[1] ?? 0})` : undefined;
  if (FSP_TYPES.has(b)) return `${b}(${nums[0] ?? 0})`;
  if (INT_TYPES.has(b)) return `${b}${unsigned ? ' unsigned' : ''}`;
  return PLAIN_TYPES.has(b) ? b : undefined;
}

function sourceSignature(c: ColumnSchema): string | undefined {
  const source = c.parameters[SOURCE_TYPE]?.toLowerCase();
  if (source === undefined) return undefined;
  const nums = [c.parameters[SOURCE_LENGTH], c.parameters[SOURCE_SCALE]].filter((n): n is string => n !== undefined);
  return signature(source.split(' ')[0], / unsigned/.test(source), nums);
}

function targetSignature(c: ColumnMeta): string | undefined {
  return signature(c.dataType, /unsigned/i.test(c.sqlType), numbers(c.castAs ?? c.sqlType));
}

/** Why events of this schema cannot be written to this table, or undefined when they can. */
export function schemaMismatch(meta: TableMeta, columns: readonly ColumnSchema[], after: Record<string, unknown>): string | undefined {
  const inRecord = new Set(columns.map((c) => c.name));
  const lacking = meta.insertColumns.filter((n) => !inRecord.has(n) && !meta.defaults?.has(n));
  if (lacking.length) {
    return `the record lacks column(s) ${lacking.join(', ')} of ${meta.name}, which have no constant default (dropped or renamed at the source?)`;
  }
  const target = new Map(meta.columns.map((c) => [c.name, c]));
  for (const c of columns) {
    const t = target.get(c.name);
    if (t === undefined || !(c.name in after)) continue;
    const [s, d] = [sourceSignature(c), targetSignature(t)];
    if (s !== undefined && d !== undefined && s !== d) return `column ${c.name}: the source's type ${s} differs from ${meta.name}'s ${d} (a type change at the source?)`;
  }
  return undefined;
}

const HINT = 'Tandem replicates ADD COLUMN only: make the same change on the target, then replay the dead letters (docs/schema-changes.md)';

export interface SchemaEvolutionOptions {
  /** The sink's allow-list. */
  allowed: (table: string) => boolean;
  /** The cached table definition (read on `conn`). */
  metaOf: (conn: PoolConnection, table: string) => Promise<TableMeta>;
  /** Drops the cached definition, so the next `metaOf` reads the catalog. */
  forget: (table: string) => void;
  /** A Tandem session of the sink's pool and its dialect, for refreshing triggers between flushes. */
  acquire: () => Promise<PoolConnection>;
  dialect: () => Promise<Dialect>;
  log: Logger;
}

type Verdict = { refuse?: string };

/** Every sink of this process, so a column added on one database refreshes the triggers of the other. */
const evolutions = new Set<SchemaEvolution>();

export class SchemaEvolution {
  /** Per table definition, per record schema (one shared array each): refused or not. */
  private verdicts = new WeakMap<TableMeta, WeakMap<readonly ColumnSchema[], Verdict>>();
  private readonly warned = new Set<string>();

  constructor(private readonly o: SchemaEvolutionOptions) {
    evolutions.add(this);
  }

  close(): void {
    evolutions.delete(this);
  }

  /**
   * Runs before a flush's transaction: for each record schema not seen with the current table
   * definition, adds the columns the target lacks and judges the rest. Cheap per event (one
   * lookup per event; the work happens once per schema and table definition).
   */
  async prepare(conn: PoolConnection, dialect: Dialect, events: Iterable<ChangeEvent>): Promise<void> {
    const seen = new Set<readonly ColumnSchema[]>();
    for (const event of events) {
      const columns = event.columns;
      if (columns === undefined || event.after === null || seen.has(columns)) continue;
      seen.add(columns);
      const table = targetTableOf(event);
      if (!this.o.allowed(table)) continue;
      let meta = await this.o.metaOf(conn, table);
      if (this.verdicts.get(meta)?.has(columns)) continue;
      const after = event.after;
      const missing = columns.filter((c) => c.name in after && !meta.insertColumns.includes(c.name) && !meta.generated.has(c.name));
      let reasons: string[] = [];
      if (missing.length) ({ meta, reasons } = await this.addColumns(conn, dialect, meta, columns, missing));
      this.judge(meta, columns, after, reasons);
    }
  }

  /** Why the sink must refuse this event, given the definition it prepares it with. */
  refusal(meta: TableMeta, event: ChangeEvent): string | undefined {
    if (event.columns === undefined) return undefined;
    return this.verdicts.get(meta)?.get(event.columns)?.refuse;
  }

  private judge(meta: TableMeta, columns: readonly ColumnSchema[], after: Record<string, unknown>, reasons: string[]): void {
    const missing = columns.filter((c) => c.name in after && !meta.insertColumns.includes(c.name) && !meta.generated.has(c.name));
    const problem = missing.length
      ? `column(s) ${missing.map((c) => c.name).join(', ')} could not be added to ${meta.name}${reasons.length ? ` (${reasons.join('; ')})` : ''}`
      : schemaMismatch(meta, columns, after);
    this.remember(meta, columns, problem === undefined ? {} : { refuse: `${problem}; ${HINT}` });
    const lacking = meta.insertColumns.filter((n) => !columns.some((c) => c.name === n));
    if (problem === undefined && lacking.length) {
      this.warnOnce(`${meta.name}:lacks:${lacking.join(',')}`, 'events lack target column(s); writing their defaults (rows written before the column was added at their source, or a column dropped there: DROP COLUMN is not replicated)', { table: meta.name, columns: lacking });
    }
    if (problem !== undefined) this.warnOnce(`${meta.name}:${problem}`, 'schema change not replicated; its events go to the dead letters', { table: meta.name, reason: problem, hint: HINT });
  }

  private remember(meta: TableMeta, columns: readonly ColumnSchema[], verdict: Verdict): void {
    let byColumns = this.verdicts.get(meta);
    if (!byColumns) this.verdicts.set(meta, (byColumns = new WeakMap()));
    byColumns.set(columns, verdict);
  }

  private warnOnce(key: string, msg: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.o.log.warn(msg, fields);
  }

  /**
   * Adds what is still missing after a fresh read of the catalog; returns the new definition and
   * why columns could not be added. Re-installs the triggers if the table's columns changed.
   */
  private async addColumns(conn: PoolConnection, dialect: Dialect, cached: TableMeta, columns: readonly ColumnSchema[], missing: ColumnSchema[]): Promise<{ meta: TableMeta; reasons: string[] }> {
    const table = cached.name;
    this.o.forget(table);
    let meta = await this.o.metaOf(conn, table);
    const added: string[] = [];
    const reasons: string[] = [];
    for (const c of missing) {
      if (meta.insertColumns.includes(c.name) || meta.generated.has(c.name)) continue;
      const i = columns.indexOf(c);
      const prev = columns.slice(0, i).reverse().find((p) => meta.insertColumns.includes(p.name) || meta.generated.has(p.name) || added.includes(p.name));
      const stmt = addColumnStatement(table, c, prev?.name);
      if ('reason' in stmt) {
        reasons.push(stmt.reason);
        continue;
      }
      try {
        await conn.query(SQL.lockWaitTimeout, [DDL_LOCK_WAIT_S]);
        await conn.query(stmt.sql, stmt.values);
        added.push(c.name);
        this.o.log.info('added a column the source has', { table, column: c.name, ddl: conn.format(stmt.sql, stmt.values) });
      } catch (err) {
        if ((err as { errno?: number }).errno === 1060) continue; // added meanwhile (another instance)
        if (kindOfMysqlError(err) !== 'fatal') throw toTandemError(err, `adding column ${c.name}`, table);
        reasons.push(`${conn.format(stmt.sql, stmt.values)}: ${describeMysqlError(err)}`);
      } finally {
        await conn.query(SQL.lockWaitTimeoutDefault).catch(() => undefined);
      }
    }
    if (added.length) {
      this.o.forget(table);
      meta = await this.o.metaOf(conn, table);
      for (const other of evolutions) if (other !== this) other.columnsAdded(table);
    }
    if (meta.insertColumns.join(',') !== cached.insertColumns.join(',')) await this.refreshTriggers(conn, dialect, table, meta);
    return { meta, reasons };
  }

  /**
   * Another sink of this process added columns to `table` in its database, because this
   * database's table gained them: re-install this side's triggers now, not at the next event.
   */
  private columnsAdded(table: string): void {
    if (!this.o.allowed(table)) return;
    const refresh = async () => {
      const conn = await this.o.acquire();
      try {
        await this.refreshTriggers(conn, await this.o.dialect(), table);
      } finally {
        conn.release();
      }
    };
    refresh().catch((err: unknown) => this.o.log.warn('re-installing triggers after a column was added failed; they are re-installed when the next event of the table needs it', { table, error: describeMysqlError(err) }));
  }

  /** Re-creates Tandem's triggers of `table` (their column lists are read at install) if they are installed. */
  private async refreshTriggers(conn: PoolConnection, dialect: Dialect, table: string, known?: TableMeta): Promise<void> {
    const [rows] = await conn.query<RowDataPacket[]>(SQL.triggerInstalled, [triggerName(table, 'bu')]);
    if (Number(rows[0].n) === 0) return;
    if (!known) this.o.forget(table);
    const meta = known ?? (await this.o.metaOf(conn, table));
    for (const ddl of dialect.createTriggers(meta)) await conn.query(ddl);
    this.o.log.info('re-installed the triggers of a table whose columns changed', { table });
  }
}
