// Tandem as a child process (the way users run it), its resource use read from /proc, and a
// stop by PID. Logs go to a file so a failed run can be read afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync, closeSync } from 'node:fs';
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
 * plus `extraNodeArgs`) with `env` added to ours; stderr/stdout to `logFile`. `root`: the
 * checkout to run (another commit's, for an A/B of code).
 */
export function startNode(script: string, args: string[], env: Record<string, string>, logFile: string, extraNodeArgs: string[] = [], root = ROOT): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(resolve(root, 'bin/tandem-node'), [...extraNodeArgs, resolve(root, script), ...args], {
    cwd: root,
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
    const ticks = ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuS: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** CPU seconds of a process's threads that are not V8's or libuv's: its main thread, librdkafka's. */
export interface ThreadCpu {
  main: number;
  librdkafka: number;
}

function ticksOf(statText: string): number {
  const rest = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** The main thread's CPU and librdkafka's threads' (named `rdk:*`), in seconds; undefined when gone. */
export function threadCpuOf(pid: number): ThreadCpu | undefined {
  try {
    const out: ThreadCpu = { main: 0, librdkafka: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const base = `/proc/${pid}/task/${tid}`;
      const ticks = ticksOf(readFileSync(`${base}/stat`, 'utf8')) / CLOCK_TICKS;
      if (Number(tid) === pid) out.main += ticks;
      else if (readFileSync(`${base}/comm`, 'utf8').startsWith('rdk:')) out.librdkafka += ticks;
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Samples a process every `everyMs`: keeps the highest RSS seen, the last CPU total and its split
 * by thread. The rest of the total (`cpuS - main - librdkafka`) is V8's helper threads (garbage
 * collection, compilation) and libuv's: `threads` returns it as `helpers`.
 */
export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  peakRssMb = 0;
  cpuS = 0;
  private readonly startCpuS: number;
  private readonly startThreads: ThreadCpu;
  private lastThreads: ThreadCpu;

  constructor(private readonly pid: number, everyMs = 250) {
    this.startCpuS = usageOf(pid)?.cpuS ?? 0;
    this.startThreads = this.lastThreads = threadCpuOf(pid) ?? { main: 0, librdkafka: 0 };
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref(); // never what keeps a failed bench alive
  }

  sample(): void {
    const u = usageOf(this.pid);
    if (!u) return;
    this.peakRssMb = Math.max(this.peakRssMb, u.peakRssMb, u.rssMb);
    this.cpuS = u.cpuS - this.startCpuS;
    this.lastThreads = threadCpuOf(this.pid) ?? this.lastThreads;
  }

  /** CPU seconds since the start, by thread group. */
  threads(): ThreadCpu & { helpers: number } {
    const main = this.lastThreads.main - this.startThreads.main;
    const librdkafka = this.lastThreads.librdkafka - this.startThreads.librdkafka;
    return { main, librdkafka, helpers: Math.max(0, this.cpuS - main - librdkafka) };
  }

  stop(): { peakRssMb: number; cpuS: number; threads: ThreadCpu & { helpers: number } } {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return { peakRssMb: this.peakRssMb, cpuS: this.cpuS, threads: this.threads() };
  }
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
