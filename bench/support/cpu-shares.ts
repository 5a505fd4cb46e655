// Who used the machine's CPU during a measurement: each named part's processes (from /proc, like
// UsageSampler) and the whole machine's busy time (/proc/stat), over the same window. On a shared
// 2-core machine this says whether a latency figure is Tandem's or the queue for a core.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { usageOf } from './processes';
import { round } from './stats';

/** CPU of each part and of the machine, in % of one core, over the window. */
export interface CpuShares {
  byPart: Record<string, number>;
  /** Every process of the machine, these parts included. */
  machineBusyPct: number;
  /** What the machine has: 100 per core. */
  machinePct: number;
}

/** Busy and total jiffies of all cores together (the first line of /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th: the rest is work.
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

export class CpuWindow {
  private readonly startMs = performance.now();
  private readonly startMachine = machineTicks();
  private readonly startCpu: Map<string, number>;

  /** `parts`: a name for each group of pids (a part that is down has none). */
  constructor(private readonly parts: Record<string, readonly number[]>) {
    this.startCpu = new Map(Object.entries(parts).map(([name, pids]) => [name, cpuSeconds(pids)]));
  }

  stop(): CpuShares {
    const seconds = (performance.now() - this.startMs) / 1000;
    const byPart: Record<string, number> = {};
    for (const [name, pids] of Object.entries(this.parts)) byPart[name] = round(((cpuSeconds(pids) - (this.startCpu.get(name) ?? 0)) / seconds) * 100, 1);
    const m = machineTicks();
    const cores = cpus().length;
    return { byPart, machineBusyPct: round(((m.busy - this.startMachine.busy) / (m.total - this.startMachine.total)) * cores * 100, 1), machinePct: cores * 100 };
  }
}

function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (usageOf(pid)?.cpuS ?? 0), 0);
}

/** `connect 60.6, tandem 49.4, ...; machine busy 189.4 of 200 %`, largest first. */
export function showShares(s: CpuShares): string {
  const parts = Object.entries(s.byPart).sort((x, y) => y[1] - x[1]).map(([name, pct]) => `${name} ${pct}`);
  return `${parts.join(', ')}; machine busy ${s.machineBusyPct} of ${s.machinePct} %`;
}
