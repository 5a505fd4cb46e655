// Compares two databases table by table in primary-key chunks, in the spirit of
// pt-table-checksum: a chunk's bounds are chosen so neither side holds more than `chunkRows` rows
// in it, both sides checksum it (row count + XOR of row hashes), and only a chunk whose checksums
// differ has its rows' keys and hashes read and matched. Memory stays bounded by one chunk.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { definitionDifference, normaliseDefinition } from '../ddl';
import { checksumSql, nthKeySql, quote, rangeWhere, rowHashesSql, rowSql, type Clause, type KeyTuple } from './sql';
import { readCatalog, shapeFrom, type TableShape } from './table-shape';

export type DiffKind = 'missing-in-a' | 'missing-in-b' | 'different';

export interface RowDiff {
  table: string;
  kind: DiffKind;
  /** Primary-key column → value as text. */
  key: Record<string, string>;
  /** For `different`: the columns whose values differ. */
  columns: string[];
  /** Compared columns as text (null for SQL NULL); absent on the side that lacks the row. */
  a?: Record<string, string | null>;
  b?: Record<string, string | null>;
}

export interface TableReport {
  table: string;
  rowsA: number;
  rowsB: number;
  chunks: number;
  mismatchedChunks: number;
  missingInA: number;
  missingInB: number;
  different: number;
  /** Why the table could not be compared, or which columns only one side has. */
  schema?: string;
}

export interface VerifyReport {
  tables: TableReport[];
  rowsA: number;
  rowsB: number;
  /** Differing rows plus tables whose schemas differ. */
  differences: number;
  /** The first `maxDiffs` differing rows, with their values. */
  diffs: RowDiff[];
  ok: boolean;
  elapsedMs: number;
}

export interface CompareOptions {
  tables: string[];
  /** Rows per chunk on each side (default 1000). */
  chunkRows?: number;
  /** Differing rows shown with values (default 10). */
  maxDiffs?: number;
}

async function select(db: Connection, c: Clause): Promise<RowDataPacket[]> {
  const [rows] = await db.query<RowDataPacket[]>(c.sql, c.params);
  return rows;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('hex').toUpperCase() : String(v));

function keyOf(row: RowDataPacket, width: number): KeyTuple {
  return Array.from({ length: width }, (_, i) => text(row[`k${i}`]) ?? '');
}

async function nthKey(db: Connection, shape: TableShape, range: Clause, n: number): Promise<KeyTuple | null> {
  const rows = await select(db, nthKeySql(shape, range, n));
  return rows.length ? keyOf(rows[0], shape.primaryKey.length) : null;
}

/**
 * The upper bound of the chunk after `lower`: a's `n`-th key, lowered to b's `n`-th key when b is
 * denser there. Key order is decided by the servers (same type, same collation), never by JS.
 */
async function nextUpper(a: Connection, b: Connection, shape: TableShape, lower: KeyTuple | null, n: number): Promise<KeyTuple | null> {
  const ua = await nthKey(a, shape, rangeWhere(shape.primaryKey, lower, null), n);
  const ub = await nthKey(b, shape, rangeWhere(shape.primaryKey, lower, ua), n);
  return ub ?? ua;
}

interface Checksum {
  n: number;
  x1: string;
  x2: string;
}

async function checksum(db: Connection, shape: TableShape, range: Clause): Promise<Checksum> {
  const [r] = await select(db, checksumSql(shape, range));
  return { n: Number(r.n), x1: String(r.x1), x2: String(r.x2) };
}

async function hashes(db: Connection, shape: TableShape, range: Clause): Promise<Map<string, { key: KeyTuple; h: string }>> {
  const out = new Map<string, { key: KeyTuple; h: string }>();
  for (const row of await select(db, rowHashesSql(shape, range))) {
    const key = keyOf(row, shape.primaryKey.length);
    out.set(JSON.stringify(key), { key, h: String(row.h) });
  }
  return out;
}

async function rowValues(db: Connection, shape: TableShape, key: KeyTuple): Promise<Record<string, string | null> | undefined> {
  const [row] = await select(db, rowSql(shape, key));
  return row ? Object.fromEntries(shape.columns.map((c) => [c.name, text(row[c.name])])) : undefined;
}

class TableComparison {
  readonly report: TableReport;
  constructor(
    private readonly a: Connection,
    private readonly b: Connection,
    private readonly shape: TableShape,
    private readonly diffs: RowDiff[],
    private readonly maxDiffs: number,
  ) {
    this.report = { table: shape.name, rowsA: 0, rowsB: 0, chunks: 0, mismatchedChunks: 0, missingInA: 0, missingInB: 0, different: 0 };
  }

  async run(chunkRows: number): Promise<void> {
    let lower: KeyTuple | null = null;
    for (;;) {
      const upper = await nextUpper(this.a, this.b, this.shape, lower, chunkRows);
      await this.chunk(rangeWhere(this.shape.primaryKey, lower, upper));
      if (upper === null) return;
      lower = upper;
    }
  }

  private async chunk(range: Clause): Promise<void> {
    const [ca, cb] = await Promise.all([checksum(this.a, this.shape, range), checksum(this.b, this.shape, range)]);
    this.report.chunks++;
    this.report.rowsA += ca.n;
    this.report.rowsB += cb.n;
    if (ca.n === cb.n && ca.x1 === cb.x1 && ca.x2 === cb.x2) return;
    this.report.mismatchedChunks++;
    const [ha, hb] = await Promise.all([hashes(this.a, this.shape, range), hashes(this.b, this.shape, range)]);
    for (const [k, ra] of ha) {
      const rb = hb.get(k);
      if (!rb) await this.found('missing-in-b', ra.key);
      else if (rb.h !== ra.h) await this.found('different', ra.key);
    }
    for (const [k, rb] of hb) if (!ha.has(k)) await this.found('missing-in-a', rb.key);
  }

  private async found(kind: DiffKind, key: KeyTuple): Promise<void> {
    if (kind === 'missing-in-a') this.report.missingInA++;
    else if (kind === 'missing-in-b') this.report.missingInB++;
    else this.report.different++;
    if (this.diffs.length >= this.maxDiffs) return;
    const [a, b] = await Promise.all([rowValues(this.a, this.shape, key), rowValues(this.b, this.shape, key)]);
    const columns = a && b ? this.shape.columns.map((c) => c.name).filter((n) => a[n] !== b[n]) : [];
    this.diffs.push({ table: this.shape.name, kind, key: Object.fromEntries(this.shape.primaryKey.map((k, i) => [k.name, key[i]])), columns, a, b });
  }
}

const emptyReport = (table: string, schema: string): TableReport => ({ table, rowsA: 0, rowsB: 0, chunks: 0, mismatchedChunks: 0, missingInA: 0, missingInB: 0, different: 0, schema });

/** Compares `tables` of the two connected databases. Read-only; a clean result means identical. */
export async function compareDatabases(a: Connection, b: Connection, options: CompareOptions): Promise<VerifyReport> {
  const t0 = Date.now();
  const chunkRows = options.chunkRows ?? 1000;
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`chunkRows must be a positive integer, got ${chunkRows}`);
  const maxDiffs = options.maxDiffs ?? 10;
  const diffs: RowDiff[] = [];
  const tables: TableReport[] = [];
  let differences = 0;
  for (const table of options.tables) {
    const [catA, catB] = [await readCatalog(a, table), await readCatalog(b, table)];
    if (catA.columns.length === 0 && catB.columns.length === 0) {
      // Absent on both sides is identical (e.g. the tombstone table before `tandem setup`).
      tables.push(emptyReport(table, 'absent on both sides'));
      continue;
    }
    const shape = shapeFrom(table, catA, catB);
    if (typeof shape === 'string') {
      tables.push(emptyReport(table, shape));
      differences++;
      continue;
    }
    const cmp = new TableComparison(a, b, shape, diffs, maxDiffs);
    await cmp.run(chunkRows);
    const r = cmp.report;
    const only = [...shape.onlyInA.map((c) => `${c} only on a`), ...shape.onlyInB.map((c) => `${c} only on b`)];
    if (only.length) {
      r.schema = `columns differ: ${only.join(', ')}`;
      differences++;
    } else {
      // Same columns, yet types, defaults, indexes or options may differ (a schema change that did not cross).
      const diff = definitionDifference(await definitionOf(a, table), await definitionOf(b, table));
      if (diff) {
        r.schema = `definitions differ: ${diff}`;
        differences++;
      }
    }
    differences += r.missingInA + r.missingInB + r.different;
    tables.push(r);
  }
  return {
    tables,
    rowsA: tables.reduce((s, t) => s + t.rowsA, 0),
    rowsB: tables.reduce((s, t) => s + t.rowsB, 0),
    differences,
    diffs,
    ok: differences === 0,
    elapsedMs: Date.now() - t0,
  };
}

async function definitionOf(db: Connection, table: string): Promise<string> {
  const [rows] = await db.query<RowDataPacket[]>(`SHOW CREATE TABLE ${quote(table)}`);
  return normaliseDefinition(String(rows[0]?.['Create Table'] ?? ''));
}
