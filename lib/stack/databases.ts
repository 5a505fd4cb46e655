// The stack's two MariaDB servers, "a" and "b": own data dir, port, server_id and gtid_domain_id,
// the Debezium user, the `tandem` user and the demo chat schema (schemas/chat.sql).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { ComponentError, processFiles, type Component } from './component';
import type { StackConfig } from './config';
import type { KeeperOptions } from './db-keeper';
import { MAX_ROW_BYTES } from './limits';
import { isOurs, runningPid, startDaemon, stopPid } from './processes';
import { repoRoot } from './versions';
import { waitFor } from './wait';

export const dbServerIds = { a: { serverId: 11, gtidDomainId: 1 }, b: { serverId: 12, gtidDomainId: 2 } } as const;

/**
 * Disjoint AUTO_INCREMENT values, as native master-master setups run: a hands out 1, 3, 5...,
 * b 2, 4, 6..., so two inserts at once on the two masters never take the same id.
 */
export const autoIncrement = { a: { increment: 2, offset: 1 }, b: { increment: 2, offset: 2 } } as const;

/**
 * `mariadbd` options of stack server `id`: its AUTO_INCREMENT share, and max_allowed_packet,
 * which bounds the largest row an application can write (16 MiB by default), and so every limit
 * after it (lib/stack/limits.ts).
 */
export function serverArgs(id: 'a' | 'b'): string[] {
  const ai = autoIncrement[id];
  return [`--auto-increment-increment=${ai.increment}`, `--auto-increment-offset=${ai.offset}`, `--max-allowed-packet=${MAX_ROW_BYTES}`];
}

/** Root-run SQL on every start: idempotent users, grants, database and schema. */
export function initSql(): string[] {
  const schema = readFileSync(join(repoRoot, 'schemas', 'chat.sql'), 'utf8');
  return [
    'CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
    // Debezium's documented privileges for the MariaDB connector (LOCK TABLES for snapshots
    // when a global read lock is refused).
    "CREATE USER IF NOT EXISTS 'dbz'@'%' IDENTIFIED BY 'dbz'",
    "GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'dbz'@'%'",
    // The application and Tandem's sink: everything on chat, plus SUPER to SET SESSION server_id
    // and to create triggers while binary logging is on.
    "CREATE USER IF NOT EXISTS 'tandem'@'%' IDENTIFIED BY 'tandem'",
    "GRANT ALL PRIVILEGES ON chat.* TO 'tandem'@'%'",
    "GRANT SUPER ON *.* TO 'tandem'@'%'",
    `USE chat;\n${schema}`,
  ];
}

const dataDirOf = (cfg: StackConfig, id: 'a' | 'b') => join(processFiles(cfg, `db-${id}`).dir, 'data');

/** Stack server `id`'s socket, where root logs in without a password (startMariaDb puts it in the data dir). */
export function dbRootSocket(cfg: StackConfig, id: 'a' | 'b'): string {
  return join(dataDirOf(cfg, id), 'mariadb.sock');
}

export function dbComponent(cfg: StackConfig, id: 'a' | 'b'): Component {
  const name = `db-${id}`;
  const files = processFiles(cfg, name);
  const port = id === 'a' ? cfg.ports.dbA : cfg.ports.dbB;
  const url = `mysql://tandem:tandem@${cfg.host}:${port}/chat`;
  const dataDir = dataDirOf(cfg, id);
  const readyFile = join(files.dir, 'keeper-ready.json');
  const keeper = join(repoRoot, 'lib', 'stack', 'db-keeper.ts');
  // The keeper's command line holds its own path and the data dir: enough to know it is ours.
  const marker = dataDir;
  const keeperPid = () => runningPid(files.pidFile, marker);
  const serverPid = (): number | undefined => {
    if (!existsSync(readyFile)) return undefined;
    const pid = (JSON.parse(readFileSync(readyFile, 'utf8')) as { pid?: number }).pid;
    return typeof pid === 'number' && isOurs(pid, dataDir) ? pid : undefined;
  };
  const answers = async () => {
    const conn = await createConnection({ uri: url, connectTimeout: 2000 });
    try {
      await conn.query('SELECT 1 FROM messages LIMIT 1');
      return true;
    } finally {
      await conn.end();
    }
  };
  const fail = (reason: string) => new ComponentError(name, reason, files.logFile);

  return {
    name,
    address: url,
    logFile: files.logFile,
    isUp: async () => keeperPid() !== undefined && (await answers().catch(() => false)),
    pids: () => [keeperPid(), serverPid()].filter((p): p is number => p !== undefined),
    async up() {
      if (keeperPid() === undefined) {
        const stray = serverPid();
        if (stray !== undefined) await stopPid(stray, dataDir, 30_000);
        rmSync(readyFile, { force: true });
        mkdirSync(files.dir, { recursive: true });
        const opts: KeeperOptions = { port, ...dbServerIds[id], dataDir, readyFile, initSql: initSql(), extraArgs: serverArgs(id) };
        startDaemon({
          command: process.execPath,
          args: ['--import', 'tsx', keeper, JSON.stringify(opts)],
          cwd: repoRoot,
          logFile: files.logFile,
          pidFile: files.pidFile,
        });
      }
      try {
        await waitFor(`${name}'s mariadbd to accept ${url}`, async () => existsSync(readyFile) && answers(), {
          timeoutMs: 120_000,
          intervalMs: 250,
          abort: () => (keeperPid() === undefined ? 'the keeper process exited' : undefined),
        });
      } catch (err) {
        const errLog = join(dataDir, 'error.log');
        throw fail(`${err instanceof Error ? err.message : String(err)} (mariadbd's own log: ${errLog})`);
      }
    },
    async down() {
      const kp = keeperPid();
      const sp = serverPid();
      let result = 'not running';
      if (kp !== undefined) result = await stopPid(kp, marker, 40_000);
      // The keeper stops mariadbd; if it could not, the server's PID is still ours to stop.
      if (sp !== undefined && isOurs(sp, dataDir)) result = await stopPid(sp, dataDir, 30_000);
      rmSync(files.pidFile, { force: true });
      rmSync(readyFile, { force: true });
      return result;
    },
  };
}
