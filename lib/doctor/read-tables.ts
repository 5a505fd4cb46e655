// Reads what the table checks need about one synced table on one database: the catalog's columns
// and primary key (the verify reader), its UNIQUE indexes, foreign keys and triggers.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { readCatalog } from '../verify';
import type { ForeignKeyFacts, IndexFacts, TableFacts, TriggerFacts } from './facts';

async function uniqueIndexes(pool: Pool, table: string): Promise<IndexFacts[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT INDEX_NAME AS name, COLUMN_NAME AS col FROM information_schema.STATISTICS ' +
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    [table],
  );
  const byName = new Map<string, string[]>();
  for (const r of rows) byName.set(String(r.name), [...(byName.get(String(r.name)) ?? []), String(r.col)]);
  return [...byName].map(([name, columns]) => ({ name, columns }));
}

async function foreignKeys(pool: Pool, table: string): Promise<ForeignKeyFacts[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS ref, k.REFERENCED_COLUMN_NAME AS refCol, ' +
      'r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate FROM information_schema.KEY_COLUMN_USAGE k ' +
      'JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
      'WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    [table],
  );
  const byName = new Map<string, ForeignKeyFacts>();
  for (const r of rows) {
    const name = String(r.name);
    const fk = byName.get(name) ?? { name, columns: [], referencedTable: String(r.ref), referencedColumns: [], onDelete: String(r.onDelete), onUpdate: String(r.onUpdate) };
    fk.columns.push(String(r.col));
    fk.referencedColumns.push(String(r.refCol));
    byName.set(name, fk);
  }
  return [...byName.values()];
}

async function triggers(pool: Pool, table: string): Promise<TriggerFacts[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event, ACTION_STATEMENT AS statement FROM information_schema.TRIGGERS ' +
      'WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? ORDER BY TRIGGER_NAME',
    [table],
  );
  return rows.map((r) => ({ name: String(r.name), when: `${String(r.timing)} ${String(r.event)}`, statement: String(r.statement) }));
}

export async function readTable(pool: Pool, table: string): Promise<TableFacts> {
  const { columns, key } = await readCatalog(pool, table);
  return { name: table, columns, primaryKey: key, uniqueIndexes: await uniqueIndexes(pool, table), foreignKeys: await foreignKeys(pool, table), triggers: await triggers(pool, table) };
}
