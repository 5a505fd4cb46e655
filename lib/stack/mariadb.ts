// A throwaway (or persistent) MariaDB server for tests, benchmarks and the local stack:
// Debian's `mariadb-install-db` into a data dir, then `mariadbd` on 127.0.0.1 with the binlog
// settings Debezium and Tandem rely on (ROW, FULL images, GTID). Stopped by PID, never by name.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { osFreePort } from './ports';
import { waitFor } from './wait';

export interface MariaDbOptions {
  /** TCP port on 127.0.0.1; a free one by default. */
  port?: number;
  /** The server's own `server_id` (must differ from Tandem's 4100 and every connector's id). */
  serverId?: number;
  gtidDomainId?: number;
  /** Kept on stop when given; a temporary directory (removed on stop) by default. */
  dataDir?: string;
  /** More `mariadbd` options, e.g. `--binlog-expire-logs-seconds=86400`. */
  extraArgs?: string[];
  /** Create user `tandem`/`tandem` (all privileges, incl. SUPER) and database `chat`. Default true. */
  tandem?: boolean;
  /** SQL run as root once the server is up (after the tandem user), e.g. the Debezium user. */
  initSql?: string[];
  /** Seconds to wait for the server to accept connections. Default 60. */
  startTimeoutS?: number;
}

export interface MariaDb {
  /** `mysql://tandem:tandem@127.0.0.1:<port>/chat` (or root over TCP when `tandem: false`). */
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  socket: string;
  /** Runs SQL as root over the socket (for tests: KILL, SHOW MASTER STATUS, grants). */
  admin(): Promise<Connection>;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install it with `apt-get install mariadb-server` (Debian/Ubuntu)';

/** Installs mariadb-server through apt when it is missing and we are root; otherwise explains. */
export function ensureMariaDbInstalled(): void {
  if (existsSync('/usr/sbin/mariadbd') && existsSync('/usr/bin/mariadb-install-db')) return;
  if (process.getuid?.() !== 0) throw new Error(`mariadbd not found: ${INSTALL_HINT}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const res = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'mariadb-server'], { stdio: 'inherit', env });
  if (res.status !== 0 || !existsSync('/usr/sbin/mariadbd')) throw new Error(`could not install mariadb-server: ${INSTALL_HINT}`);
}

/** A loopback port the OS says is free now (the one way: lib/stack/ports.ts). */
export function freePort(): Promise<number> {
  return osFreePort(new Set());
}

function runInstallDb(dataDir: string, user: string, tmpDir: string): void {
  const res = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${dataDir}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
    // Its own TMPDIR: two installs sharing /tmp collide on their temporary tables.
    { encoding: 'utf8', env: { ...process.env, TMPDIR: tmpDir } },
  );
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`mariadb-install-db into ${dataDir} failed: ${why}`);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL: the one way Tandem stops a server it started. */
async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
  const done = await Promise.race([exited(child).then(() => false), timedOut]);
  clearTimeout(timer);
  if (done) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log)';
  }
}

async function waitReady(child: ChildProcess, socket: string, errorLog: string, timeoutS: number): Promise<Connection> {
  const died = () => (child.exitCode !== null || child.signalCode !== null ? `mariadbd exited (${child.exitCode ?? child.signalCode}) while starting` : undefined);
  try {
    return await waitFor(`mariadbd to accept connections on ${socket}`, () => createConnection({ socketPath: socket, user: 'root', multipleStatements: true }), {
      timeoutMs: timeoutS * 1000,
      intervalMs: 100,
      abort: died,
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}:\n${tail(errorLog)}`, { cause: err });
  }
}

const TANDEM_SQL = [
  "CREATE USER IF NOT EXISTS 'tandem'@'%' IDENTIFIED BY 'tandem'",
  "GRANT ALL PRIVILEGES ON *.* TO 'tandem'@'%' WITH GRANT OPTION",
  'CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
];

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the caller never reached stop(): the servers we started die with us.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDb> {
  ensureMariaDbInstalled();
  const port = options.port ?? (await freePort());
  const serverId = options.serverId ?? 1;
  const ownDir = options.dataDir === undefined;
  const baseDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-mariadb-'));
  // Socket, pid file and error log live in the data dir too: one directory per server.
  const dataDir = baseDir;
  const socket = join(baseDir, 'mariadb.sock');
  const errorLog = join(baseDir, 'error.log');
  const user = userInfo().username;
  // Beside the data dir, not in it: every directory in a data dir is a database.
  const tmpDir = `${baseDir.replace(/\/+$/, '')}-tmp`;
  mkdirSync(baseDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const cleanupDir = () => {
    if (ownDir) rmSync(baseDir, { recursive: true, force: true });
    if (ownDir) rmSync(tmpDir, { recursive: true, force: true });
  };

  try {
    if (!existsSync(join(dataDir, 'mysql'))) {
      runInstallDb(dataDir, user, tmpDir);
    }
  } catch (err) {
    cleanupDir();
    throw err;
  }

  const args = [
    '--no-defaults',
    `--user=${user}`,
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--pid-file=${join(baseDir, 'mariadbd.pid')}`,
    `--log-error=${errorLog}`,
    `--tmpdir=${tmpDir}`,
    '--bind-address=127.0.0.1',
    `--port=${port}`,
    '--skip-name-resolve',
    `--server-id=${serverId}`,
    `--gtid-domain-id=${options.gtidDomainId ?? 0}`,
    `--log-bin=${join(dataDir, 'mariadb-bin')}`,
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--innodb-buffer-pool-size=128M',
    '--innodb-flush-log-at-trx-commit=1',
    '--max-connections=500',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('/usr/sbin/mariadbd', args, { stdio: 'ignore' });
  if (child.pid === undefined) {
    cleanupDir();
    throw new Error(`could not start /usr/sbin/mariadbd: ${INSTALL_HINT}`);
  }
  const pid = child.pid;
  running.add(child);
  installExitHook();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 30_000);
    running.delete(child);
    cleanupDir();
  };

  try {
    const root = await waitReady(child, socket, errorLog, options.startTimeoutS ?? 60);
    try {
      const sql = [...(options.tandem === false ? [] : TANDEM_SQL), ...(options.initSql ?? [])];
      for (const stmt of sql) await root.query(stmt);
      if (options.tandem === false) {
        await root.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
        await root.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
      }
    } finally {
      await root.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const url = options.tandem === false ? `mysql://root@127.0.0.1:${port}/` : `mysql://tandem:tandem@127.0.0.1:${port}/chat`;
  return {
    url,
    port,
    pid,
    dataDir,
    socket,
    admin: () => createConnection({ socketPath: socket, user: 'root', multipleStatements: true }),
    stop,
  };
}
