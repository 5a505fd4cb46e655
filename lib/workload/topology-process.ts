// `tandem run <topology>` as a supervised child process: started, SIGKILLed and restarted on
// demand, restarted when it exits on its own (as systemd's Restart=always would), and read for
// its status lines so the run's counters (echoes suppressed, conflicts) add up over restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Counters, counterNames, type CounterSnapshot } from '../observe';

const ROOT = resolve(__dirname, '..', '..');

export class TopologyProcess {
  private child: ChildProcess | undefined;
  private finished = Counters.zero();
  private current = Counters.zero();
  private stopping = false;
  /** Exits nobody asked for (fatal error after retries ran out): each was followed by a restart. */
  unexpectedExits = 0;
  running = false;
  private statusLines = 0;
  /** Records consumed but not committed, summed over directions, from the last status line (-1: unknown). */
  lag = -1;
  readonly tail: string[] = [];

  /** `logPath`: every line the runtime logs is appended there too, over restarts (a soak's failure is read afterwards). */
  constructor(private readonly topology: string, private readonly env: NodeJS.ProcessEnv, private readonly logPath?: string) {}

  start(): void {
    this.stopping = false;
    this.running = false;
    // bin/tandem, as users run it (it execs node, so signals reach the runtime's process).
    const child = spawn(resolve(ROOT, 'bin/tandem'), ['run', this.topology], {
      cwd: ROOT,
      env: { TANDEM_STATUS_EVERY_MS: '1000', ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.read(line);
    });
    child.once('exit', (code, signal) => {
      this.fold();
      if (this.child !== child || this.stopping) return;
      this.unexpectedExits++;
      this.read(`[harness] runtime exited (${code ?? signal}); restarting`);
      setTimeout(() => {
        if (this.child === child && !this.stopping) this.start();
      }, 1000);
    });
    this.child = child;
  }

  private read(line: string): void {
    if (this.logPath) appendFileSync(this.logPath, `${line}\n`);
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    if (line.includes('"msg":"running"')) this.running = true;
    if (!line.includes('"msg":"status"')) return;
    try {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const snap = Counters.zero();
      for (const n of counterNames) if (typeof fields[n] === 'number') snap[n] = fields[n];
      this.current = snap;
      this.statusLines++;
      const lag = fields.lag;
      this.lag = typeof lag === 'object' && lag !== null ? Object.values(lag).reduce((sum: number, v) => sum + (typeof v === 'number' ? v : 0), 0) : -1;
    } catch {
      // not a JSON status line
    }
  }

  /** The last figures of a process that ended join the total (what it did after them is lost). */
  private fold(): void {
    for (const n of counterNames) this.finished[n] += this.current[n];
    this.current = Counters.zero();
  }

  /** Totals over every process so far (a killed one counts up to its last status line). */
  counters(): CounterSnapshot {
    const out = Counters.zero();
    for (const n of counterNames) out[n] = this.finished[n] + this.current[n];
    return out;
  }

  private end(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    this.stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((res) => {
      child.once('exit', (code) => res(code));
      child.kill(signal);
    });
  }

  /** SIGKILL then start again: the fault. */
  async killAndRestart(): Promise<void> {
    this.read('[harness] SIGKILL; starting again');
    await this.end('SIGKILL');
    this.start();
  }

  /** Waits for two more status lines, so the totals include the work finished before the call. */
  async freshStatus(timeoutMs = 15_000): Promise<void> {
    const target = this.statusLines + 2;
    const deadline = Date.now() + timeoutMs;
    while (this.statusLines < target) {
      if (Date.now() > deadline) throw new Error(`no status line from the runtime within ${timeoutMs / 1000}s; last lines:\n${this.tail.slice(-10).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until a status line reports no lag in any direction (the backlog is applied). */
  async caughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.freshStatus();
    while (this.lag !== 0 || !this.running) {
      if (Date.now() > deadline) throw new Error(`the runtime still had a lag of ${this.lag} records after ${timeoutMs / 1000}s`);
      await this.freshStatus();
    }
  }

  /** Graceful stop (SIGTERM); resolves with the exit code. */
  stop(): Promise<number | null> {
    return this.end('SIGTERM');
  }

  kill(): Promise<number | null> {
    return this.end('SIGKILL');
  }
}
