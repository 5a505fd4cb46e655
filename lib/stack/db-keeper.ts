// Keeps one stack MariaDB alive in the background: `startMariaDb` (lib/stack/mariadb.ts) ties a
// server's life to the Node process that started it, so `stack up` starts this small detached
// process per database; SIGTERM stops the server (by PID) and then the keeper.
// Usage: node --import tsx lib/stack/db-keeper.ts '<json KeeperOptions>'
import { writeFileSync } from 'node:fs';
import { startMariaDb } from './mariadb';

export interface KeeperOptions {
  port: number;
  serverId: number;
  gtidDomainId: number;
  dataDir: string;
  /** Written (JSON `{ pid, port }`) once the server answers and its init SQL ran. */
  readyFile: string;
  initSql: string[];
  /** More `mariadbd` options (startMariaDb's extraArgs). */
  extraArgs?: string[];
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('db-keeper: expected one JSON argument (KeeperOptions)');
  const opts = JSON.parse(arg) as KeeperOptions;
  const db = await startMariaDb({
    port: opts.port,
    serverId: opts.serverId,
    gtidDomainId: opts.gtidDomainId,
    dataDir: opts.dataDir,
    tandem: false,
    initSql: opts.initSql,
    extraArgs: opts.extraArgs,
    startTimeoutS: 120,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`db-keeper: ${signal}, stopping mariadbd (PID ${db.pid})`);
    db.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`db-keeper: stopping mariadbd failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  writeFileSync(opts.readyFile, JSON.stringify({ pid: db.pid, port: db.port }));
  console.log(`db-keeper: mariadbd PID ${db.pid} ready on port ${db.port}`);
  // Stay alive while the server runs; the timer is the only thing holding the event loop.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  console.error(`db-keeper: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
