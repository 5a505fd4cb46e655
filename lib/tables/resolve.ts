// TANDEM_TABLES=*: the tables to sync, read from both databases when Tandem (or verify, or the
// doctor) starts. A table is synced when both sides have it and it can be synced on both; the
// others are listed with the reason, so a user sees why a table is left alone.
import { createConnection } from 'mysql2/promise';
import type { TandemConfig, TableSpec } from '../config';
import { redactSecrets } from '../config';
import { retriable } from '../errors';
import { baseTables, syncability } from './syncable';

export interface ResolvedTables {
  tables: TableSpec[];
  /** Tables of either side that are not synced, with why. */
  refused: { table: string; reason: string }[];
}

/** The tables of one database that Tandem can sync (`tandem setup` under TANDEM_TABLES=*). */
export async function syncableTables(url: string): Promise<string[]> {
  const side = await sideOf(url);
  return [...side].filter(([, v]) => v.ok).map(([name]) => name);
}

async function sideOf(url: string): Promise<Map<string, Awaited<ReturnType<typeof syncability>>>> {
  const conn = await createConnection(url).catch((err: unknown) => {
    throw retriable(`listing the tables of ${redactSecrets(url)}: ${redactSecrets(err instanceof Error ? err.message : String(err))}`, { stage: 'tables (TANDEM_TABLES=*)' });
  });
  try {
    const out = new Map<string, Awaited<ReturnType<typeof syncability>>>();
    for (const t of await baseTables(conn)) out.set(t, await syncability(conn, t));
    return out;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

export async function resolveAllTables(a: { id: string; url: string }, b: { id: string; url: string }): Promise<ResolvedTables> {
  const [here, there] = await Promise.all([sideOf(a.url), sideOf(b.url)]);
  const tables: TableSpec[] = [];
  const refused: ResolvedTables['refused'] = [];
  for (const name of [...new Set([...here.keys(), ...there.keys()])].sort()) {
    const x = here.get(name);
    const y = there.get(name);
    if (!x || !y) {
      refused.push({ table: name, reason: `it exists on ${x ? a.id : b.id} only (Tandem replays CREATE TABLE only for tables created while it runs: create it on ${x ? b.id : a.id} too)` });
    } else if (!x.ok || !y.ok) {
      refused.push({ table: name, reason: [!x.ok ? `on ${a.id} ${x.reason}` : '', !y.ok ? `on ${b.id} ${y.reason}` : ''].filter(Boolean).join('; ') });
    } else if (x.spec.primaryKey.join(',') !== y.spec.primaryKey.join(',')) {
      refused.push({ table: name, reason: `its primary keys differ (${a.id}: ${x.spec.primaryKey.join(', ')}; ${b.id}: ${y.spec.primaryKey.join(', ')})` });
    } else {
      tables.push(x.spec);
    }
  }
  return { tables, refused };
}

/** The config with TANDEM_TABLES=* resolved into the list of tables (unchanged otherwise). */
export async function withResolvedTables(config: TandemConfig): Promise<{ config: TandemConfig; refused: ResolvedTables['refused'] }> {
  if (!config.allTables) return { config, refused: [] };
  const { tables, refused } = await resolveAllTables(config.databases[0], config.databases[1]);
  return { config: { ...config, tables }, refused };
}
