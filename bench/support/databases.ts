// Target databases for the benches: the chat schema (created identically for every consumer),
// an expected-state database loaded with plain INSERTs, and a count + checksum per table that
// must match the expected state for a figure to count.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Row } from '../../lib/model';
import { COLUMNS, KEYS, TABLES, sqlValue, type ChatTable } from './chat-load';

/**
 * schemas/chat.sql without its foreign keys: Debezium's JDBC sink writes the topics of one batch in
 * any order (a message may land before its room) and has no switch to disable the checks, so both
 * consumers get the same tables without them.
 */
export function chatDdlWithoutForeignKeys(): string[] {
  const sql = readFileSync(resolve(__dirname, '..', '..', 'schemas', 'chat.sql'), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .replace(/,\s*\n\s*CONSTRAINT [^\n]*/g, '');
  return sql.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

export async function createChatDatabase(conn: Connection, name: string): Promise<void> {
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.query(`USE \`${name}\``);
  for (const stmt of chatDdlWithoutForeignKeys()) await conn.query(stmt);
}

export async function loadRows(conn: Connection, db: string, table: ChatTable, rows: Iterable<Row>): Promise<void> {
  const cols = COLUMNS[table];
  let chunk: unknown[][] = [];
  const flush = async () => {
    if (chunk.length > 0) await conn.query(`INSERT INTO \`${db}\`.${table} (${cols.join(', ')}) VALUES ?`, [chunk]);
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(cols.map((c) => sqlValue(row[c] ?? null)));
    if (chunk.length >= 2000) await flush();
  }
  await flush();
}

export interface TableSum {
  rows: number;
  checksum: string;
}

/** Row count and an order-independent 64-bit checksum (XOR of each row's MD5 prefix) per table. */
export async function checksums(conn: Connection, db: string): Promise<Record<ChatTable, TableSum>> {
  const out = {} as Record<ChatTable, TableSum>;
  for (const table of TABLES) {
    const row = COLUMNS[table].map((c) => `COALESCE(${c}, '\\\\N')`).join(', ');
    const [res] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n, CAST(COALESCE(BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS('|', ${row})), 16), 16, 10) AS UNSIGNED)), 0) AS CHAR) AS x FROM \`${db}\`.${table}`,
    );
    out[table] = { rows: Number(res[0].n), checksum: String(res[0].x) };
  }
  return out;
}

export function sameState(a: Record<ChatTable, TableSum>, b: Record<ChatTable, TableSum>): boolean {
  return TABLES.every((t) => a[t].rows === b[t].rows && a[t].checksum === b[t].checksum);
}

export const showState = (s: Record<ChatTable, TableSum>): string => TABLES.map((t) => `${t} ${s[t].rows} rows #${s[t].checksum}`).join(', ');

/** A few keys present in one database and not the other, per table: what a wrong state looks like. */
export async function diffSample(conn: Connection, expected: string, got: string): Promise<string> {
  const lines: string[] = [];
  for (const table of TABLES) {
    const on = KEYS[table].map((k) => `e.${k} = g.${k}`).join(' AND ');
    const key = KEYS[table].map((k) => `x.${k}`).join(", ',', ");
    for (const [label, from, other] of [['extra', got, expected], ['missing', expected, got]] as const) {
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT CONCAT(${key.replace(/x\./g, 'e.')}) AS k FROM \`${from}\`.${table} e LEFT JOIN \`${other}\`.${table} g ON ${on} WHERE g.${KEYS[table][0]} IS NULL LIMIT 5`,
      );
      if (rows.length > 0) lines.push(`${table} ${label}: ${rows.map((r) => String(r.k)).join(' ')}`);
    }
  }
  return lines.join('; ');
}
