// Background processes of the local stack: started detached with a pid file and a log file in the
// state dir, recognised as ours by a marker in their command line, stopped by PID only.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pause, waitFor } from './wait';

export interface DaemonSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  pidFile: string;
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name (field 2) may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * True while `pid` exists and is not a zombie, whatever it runs: right after spawn() the child
 * shows its parent's command line until its exec() completes, which on a loaded machine takes
 * long enough for a marker check to call a starting daemon dead.
 */
export function isAlive(pid: number): boolean {
  return cmdline(pid) !== undefined && !isZombie(pid);
}

/** True when `pid` runs and its command line contains `marker` (so a reused PID is never ours). */
export function isOurs(pid: number, marker: string): boolean {
  const cl = cmdline(pid);
  return cl !== undefined && cl.includes(marker) && !isZombie(pid);
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const n = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The PID in `pidFile` if that process is alive and ours, else undefined. */
export function runningPid(pidFile: string, marker: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isOurs(pid, marker) ? pid : undefined;
}

export function startDaemon(spec: DaemonSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/**
 * SIGTERM, wait up to `graceMs` for the process to go, then SIGKILL and wait again. Only for a PID
 * that `isOurs` confirmed. Resolves once the process is gone.
 */
export async function stopPid(pid: number, marker: string, graceMs: number): Promise<'stopped' | 'killed'> {
  const gone = async () => !isOurs(pid, marker);
  if (await gone()) return 'stopped';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  try {
    await waitFor(`PID ${pid} to exit after SIGTERM`, gone, { timeoutMs: graceMs, intervalMs: 100 });
    return 'stopped';
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return 'killed';
    }
    await waitFor(`PID ${pid} to exit after SIGKILL`, gone, { timeoutMs: 10_000, intervalMs: 100 });
    return 'killed';
  }
}

/** Stops the daemon of `pidFile` if it is ours and removes the pid file. */
export async function stopDaemon(pidFile: string, marker: string, graceMs: number): Promise<'stopped' | 'killed' | 'not running'> {
  const pid = runningPid(pidFile, marker);
  const result = pid === undefined ? 'not running' : await stopPid(pid, marker, graceMs);
  rmSync(pidFile, { force: true });
  return result;
}

export function tailFile(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

export { pause };
