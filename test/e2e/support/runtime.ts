// `tandem run bidirectional` as a child process against the local stack (TANDEM_* env for the
// addresses), and the small database helpers the runtime e2e tests share.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const brokers = process.env.TANDEM_BROKERS ?? '127.0.0.1:9092';
export const urlA = process.env.TANDEM_DB_A_URL ?? 'mysql://tandem:tandem@127.0.0.1:3307/chat';
export const urlB = process.env.TANDEM_DB_B_URL ?? 'mysql://tandem:tandem@127.0.0.1:3308/chat';
export const DEFAULT_TABLES = 'rooms,members:room_id+user_id,messages';

/** The child's environment: the stack's addresses, a group of its own unless given. */
export function runtimeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TANDEM_BROKERS: brokers, TANDEM_GROUP_ID: `tandem-e2e-${randomUUID().slice(0, 8)}`, ...extra };
}

export interface RuntimeProcess {
  child: ChildProcess;
  /** Set once the runtime logged `running`. */
  running: boolean;
  /** The runtime's JSON log lines, parsed. */
  logs: Record<string, unknown>[];
  /** Partitions (`topic[n]`) this instance owns now, from its assigned/revoked log lines. */
  owned: Set<string>;
}

function partitionsOf(line: Record<string, unknown>): string[] {
  return Array.isArray(line.partitions) ? line.partitions.map(String) : [];
}

export function startRuntime(env: NodeJS.ProcessEnv): RuntimeProcess {
  // Node itself (not the tsx wrapper), so that signals reach the runtime's process.
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'lib/cli/main.ts'), 'run', 'bidirectional'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const proc: RuntimeProcess = { child, running: false, logs: [], owned: new Set() };
  let rest = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      proc.logs.push(line);
      if (line.msg === 'running') proc.running = true;
      if (line.msg === 'partitions assigned') for (const p of partitionsOf(line)) proc.owned.add(p);
      if (line.msg === 'partitions revoked after flush and commit') for (const p of partitionsOf(line)) proc.owned.delete(p);
    }
  });
  return proc;
}

export function stopRuntime(proc: RuntimeProcess, signal: NodeJS.Signals): Promise<number | null> {
  const { child } = proc;
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
    child.once('exit', (code) => res(code));
    child.kill(signal);
  });
}

/** Polls `cond` until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function one(db: Connection, sql: string, args: unknown[] = []): Promise<RowDataPacket | undefined> {
  const [rows] = await db.query<RowDataPacket[]>(sql, args);
  return rows[0];
}

export async function all(db: Connection, sql: string, args: unknown[] = []): Promise<RowDataPacket[]> {
  const [rows] = await db.query<RowDataPacket[]>(sql, args);
  return rows;
}

/** A table of the test's own on both databases, so its topics and counts are the test's alone. */
export async function createTestTable(dbs: Connection[], name: string, columns = 'id BIGINT NOT NULL PRIMARY KEY, body VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL'): Promise<void> {
  for (const db of dbs) await db.query(`CREATE TABLE ${name} (${columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
}

/** Dead-letter lines the runtime logged for a table's topics. */
export function deadLettersFor(proc: RuntimeProcess, table: string): Record<string, unknown>[] {
  return proc.logs.filter((l) => l.msg === 'dead-lettered' && typeof l.topic === 'string' && l.topic.endsWith(`.${table}`));
}

/** On a failed test, the runtime's last log lines (status lines left out) as TAP comments. */
export function showLogsOnFailure(t: { teardown: (fn: () => void) => void; passing: () => boolean; comment: (...args: unknown[]) => void }, proc: RuntimeProcess): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const l of proc.logs.filter((l) => l.msg !== 'status').slice(-40)) t.comment(JSON.stringify(l));
  });
}
