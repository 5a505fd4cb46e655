// Tandem as a child process (the way users run it), its resource use read from /proc, and a
// stop by PID. Logs go to a file so a failed run can be read afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
/** Child logs and CPU profiles: outside the clone, beside the stack's state. */
export const LOG_DIR = join(process.env.TANDEM_CACHE_DIR || join(homedir(), '.cache', 'tandem'), 'bench-logs');
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface Child {
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves when the process logged `"msg":"running"` (consumer connected, sinks ready). */
  running: Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `<script> <args>` the way Tandem runs (bin/tandem-node: tsx and the process settings,
 * plus `extraNodeArgs`) with `env` added to ours; stderr/stdout to `logFile`.
 */
export function startNode(script: string, args: string[], env: Record<string, string>, logFile: string, extraNodeArgs: string[] = []): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(resolve(ROOT, 'bin/tandem-node'), [...extraNodeArgs, resolve(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, TANDEM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`could not start ${script}`);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const running = (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${script} exited with ${proc.exitCode} before running; see ${logFile}`);
      if (readFileSync(logFile, 'utf8').includes('"msg":"running"')) return;
      if (Date.now() > deadline) throw new Error(`${script} not running after 120 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  running.catch(() => undefined);
  return { proc, pid: proc.pid, logFile, running, exited };
}

/** SIGTERM (graceful), then SIGKILL after `graceMs`; by PID only. */
export async function stopChild(child: Child, graceMs = 20_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export interface Usage {
  /** Resident set size now, and its peak (VmHWM) since the process started, in MiB. */
  rssMb: number;
  peakRssMb: number;
  /** User + system CPU seconds since the process started. */
  cpuS: number;
}

export function usageOf(pid: number): Usage | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuS: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** Samples a process every `everyMs`: keeps the highest RSS seen and the last CPU total. */
export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  peakRssMb = 0;
  cpuS = 0;
  private readonly startCpuS: number;

  constructor(private readonly pid: number, everyMs = 250) {
    this.startCpuS = usageOf(pid)?.cpuS ?? 0;
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref(); // never what keeps a failed bench alive
  }

  sample(): void {
    const u = usageOf(this.pid);
    if (!u) return;
    this.peakRssMb = Math.max(this.peakRssMb, u.peakRssMb, u.rssMb);
    this.cpuS = u.cpuS - this.startCpuS;
  }

  stop(): { peakRssMb: number; cpuS: number } {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return { peakRssMb: this.peakRssMb, cpuS: this.cpuS };
  }
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
