// The statements verify runs, built from a table's shape. Pure: unit-tested without a server.
import type { TableShape, VerifyColumn } from './table-shape';

const IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

export function quote(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`identifier "${name}" is not a plain name ([A-Za-z0-9_$], 1-64 characters)`);
  return `\`${name}\``;
}

/** A primary-key value as text, one entry per key column (binary columns in hex). */
export type KeyTuple = string[];

/** How a column is read for hashing, keys and display: raw bytes as hex, everything else as is. */
export const readExpr = (c: VerifyColumn) => (c.binary ? `HEX(${quote(c.name)})` : quote(c.name));

/**
 * One row's fingerprint: MD5 over the NULL flags, the byte lengths, then the values, so that no
 * two different rows share the text (a value holding the separator cannot shift the others).
 */
export function rowHashExpr(columns: VerifyColumn[]): string {
  const flags = `CONCAT(${columns.map((c) => `ISNULL(${quote(c.name)})`).join(', ')})`;
  const lengths = columns.map((c) => `LENGTH(${readExpr(c)})`);
  const values = columns.map(readExpr);
  return `MD5(CONCAT_WS('|', ${[flags, ...lengths, ...values].join(', ')}))`;
}

export interface Clause {
  sql: string;
  params: string[];
}

/** `key > lower` (strict) or `key <= upper` over a composite key, spelled out so indexes serve it. */
export function keyBound(key: VerifyColumn[], values: KeyTuple, op: '>' | '<='): Clause {
  const strict = op === '>' ? '>' : '<';
  const ors: string[] = [];
  const params: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${quote(key[j].name)} = ${key[j].bind}`);
      params.push(values[j]);
    }
    parts.push(`${quote(key[i].name)} ${strict} ${key[i].bind}`);
    params.push(values[i]);
    ors.push(`(${parts.join(' AND ')})`);
  }
  if (op === '<=') {
    ors.push(`(${key.map((k) => `${quote(k.name)} = ${k.bind}`).join(' AND ')})`);
    params.push(...values);
  }
  return { sql: `(${ors.join(' OR ')})`, params };
}

/** The rows strictly after `lower` and up to `upper` (either end open when absent). */
export function rangeWhere(key: VerifyColumn[], lower: KeyTuple | null, upper: KeyTuple | null): Clause {
  const parts = [lower ? keyBound(key, lower, '>') : null, upper ? keyBound(key, upper, '<=') : null].filter((c): c is Clause => c !== null);
  if (parts.length === 0) return { sql: '1 = 1', params: [] };
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

const orderBy = (key: VerifyColumn[]) => key.map((k) => quote(k.name)).join(', ');
const keyList = (key: VerifyColumn[]) => key.map((k, i) => `${readExpr(k)} AS k${i}`).join(', ');

/** The key of the `n`-th row of a range (1-based), or nothing when the range has fewer rows. */
export function nthKeySql(shape: TableShape, range: Clause, n: number): Clause {
  return {
    sql: `SELECT ${keyList(shape.primaryKey)} FROM ${quote(shape.name)} WHERE ${range.sql} ORDER BY ${orderBy(shape.primaryKey)} LIMIT 1 OFFSET ${Math.max(0, Math.floor(n) - 1)}`,
    params: range.params,
  };
}

/** Row count and two 64-bit XOR sums of the row hashes: equal for equal sets of rows. */
export function checksumSql(shape: TableShape, range: Clause): Clause {
  const h = rowHashExpr(shape.columns);
  return {
    sql:
      `SELECT COUNT(*) AS n, COALESCE(BIT_XOR(CAST(CONV(SUBSTRING(h, 1, 16), 16, 10) AS UNSIGNED)), 0) AS x1, ` +
      `COALESCE(BIT_XOR(CAST(CONV(SUBSTRING(h, 17, 16), 16, 10) AS UNSIGNED)), 0) AS x2 ` +
      `FROM (SELECT ${h} AS h FROM ${quote(shape.name)} WHERE ${range.sql}) AS chunk`,
    params: range.params,
  };
}

/** Key and row hash of every row of a range, in key order (a chunk: bounded by its size). */
export function rowHashesSql(shape: TableShape, range: Clause): Clause {
  return {
    sql: `SELECT ${keyList(shape.primaryKey)}, ${rowHashExpr(shape.columns)} AS h FROM ${quote(shape.name)} WHERE ${range.sql} ORDER BY ${orderBy(shape.primaryKey)}`,
    params: range.params,
  };
}

/** Every compared column of one row, for showing a difference. */
export function rowSql(shape: TableShape, key: KeyTuple): Clause {
  const where = shape.primaryKey.map((k) => `${quote(k.name)} = ${k.bind}`).join(' AND ');
  return {
    sql: `SELECT ${shape.columns.map((c) => `${readExpr(c)} AS ${quote(c.name)}`).join(', ')} FROM ${quote(shape.name)} WHERE ${where}`,
    params: key,
  };
}
