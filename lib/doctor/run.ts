// Reads both databases (and Kafka Connect) once, runs every check on what was read, and returns
// the findings as data.
import type { Pool } from 'mysql2/promise';
import type { DatabaseSpec, TandemConfig } from '../config';
import { createSinkPool, toTandemError } from '../sink';
import type { TandemError } from '../errors';
import { checkAutoIncrement } from './checks/auto-increment';
import { checkBinlog } from './checks/binlog';
import { checkColumns } from './checks/columns';
import { checkConnectors } from './checks/connectors';
import type { DoctorContext, ServerCheck, TableCheck } from './checks/context';
import { checkForeignKeys } from './checks/foreign-keys';
import { checkServerIds } from './checks/identity';
import { checkKeyLength } from './checks/key-length';
import { checkMaxAllowedPacket } from './checks/packet';
import { checkPrimaryKey } from './checks/primary-key';
import { checkPrivileges } from './checks/privileges';
import { checkIsolation, checkSqlMode } from './checks/session-settings';
import { checkTimeZones } from './checks/time-zone';
import { checkTriggers } from './checks/triggers';
import { checkUniqueKeys } from './checks/unique-keys';
import { checkUpdatedAt } from './checks/updated-at';
import { checkVersion } from './checks/version';
import { missingTable, type SideFacts, type TableFacts } from './facts';
import { refused, type Finding } from './finding';
import { readConnectors } from './read-connectors';
import { readServer } from './read-server';
import { readTable } from './read-tables';

/** In the order they are printed: the servers, then each table. */
export const SERVER_CHECKS: readonly ServerCheck[] = [checkVersion, checkBinlog, checkServerIds, checkConnectors, checkPrivileges, checkTimeZones, checkSqlMode, checkIsolation, checkMaxAllowedPacket];
export const TABLE_CHECKS: readonly TableCheck[] = [checkColumns, checkPrimaryKey, checkUpdatedAt, checkAutoIncrement, checkUniqueKeys, checkForeignKeys, checkKeyLength, checkTriggers];

export interface DoctorOptions {
  /**
   * A database that cannot be read: a refused finding (`refuse`, the CLI), or the error thrown
   * (`throw`, the runtime, which waits for a database that is down).
   */
  unreachable?: 'refuse' | 'throw';
  /** Kafka Connect's answer time. Default 5 s. */
  connectTimeoutMs?: number;
}

async function readSide(db: DatabaseSpec, config: TandemConfig): Promise<SideFacts> {
  const pool: Pool = createSinkPool(db.url, 2);
  try {
    const server = await readServer(pool, db, { serverId: config.serverId, gtidDomainId: config.gtidDomainId });
    const tables = new Map<string, TableFacts>();
    for (const t of config.tables) tables.set(t.name, await readTable(pool, t.name));
    return { server, tables };
  } catch (err) {
    const e = toTandemError(err, `tandem doctor reading ${db.id}`);
    e.context.stage = 'doctor';
    throw e;
  } finally {
    await pool.end();
  }
}

/** Every finding about the configured databases, tables and connectors. */
export async function runDoctor(config: TandemConfig, options: DoctorOptions = {}): Promise<Finding[]> {
  const [read, connectors] = await Promise.all([
    Promise.all(config.databases.map((db) => readSide(db, config).then((side) => ({ db, side }), (error: TandemError) => ({ db, error })))),
    readConnectors(config.connectUrl, options.connectTimeoutMs),
  ]);
  const findings: Finding[] = [];
  for (const r of read) {
    if (!('error' in r)) continue;
    if (options.unreachable === 'throw') throw r.error;
    findings.push(refused('connection', r.db.id, r.error.message, `check TANDEM_DB_${r.db.id.toUpperCase()}_URL (host, port, user, password, database) and that the server runs`));
  }
  const sides = read.flatMap((r) => ('side' in r ? [r.side] : []));
  const ctx: DoctorContext = { config, sides, connectors };
  findings.push(...SERVER_CHECKS.flatMap((check) => check(ctx)));
  // Table checks compare the two sides: they need both.
  if (sides.length === config.databases.length) {
    for (const spec of config.tables) {
      const t = { config, spec, sides: sides.map((s) => ({ server: s.server, table: s.tables.get(spec.name) ?? missingTable(spec.name) })) };
      findings.push(...TABLE_CHECKS.flatMap((check) => check(t)));
    }
  }
  return findings;
}
