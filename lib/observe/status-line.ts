import type { CounterSnapshot } from './counters';

/** Consumer lag (records not yet committed) per source node, i.e. per direction. */
export type LagByDirection = Record<string, number>;

export interface StatusSample {
  counters: CounterSnapshot;
  atMs: number;
}

function perSecond(delta: number, ms: number): string {
  if (ms <= 0) return '0';
  const rate = (delta * 1000) / ms;
  return rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
}

/** One line: rates since the previous sample, totals for the rare events, lag per direction, then notes. */
export function formatStatus(prev: StatusSample, cur: StatusSample, lag: LagByDirection, notes: readonly string[] = []): string {
  const ms = cur.atMs - prev.atMs;
  const c = cur.counters;
  const lagText = Object.keys(lag).length
    ? Object.entries(lag)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([dir, n]) => `${dir}=${n}`)
        .join(' ')
    : '-';
  return (
    `in ${perSecond(c.recordsIn - prev.counters.recordsIn, ms)}/s ` +
    `out ${perSecond(c.recordsOut - prev.counters.recordsOut, ms)}/s | ` +
    `echoes ${c.echoesSuppressed} conflicts ${c.conflictsResolved} dead ${c.deadLettered} | lag ${lagText}` +
    notes.map((n) => ` | ${n}`).join('')
  );
}

export interface StatusLineOptions {
  sample: () => StatusSample;
  lag: () => LagByDirection;
  /** Short texts appended to the line: what Tandem waits for, the source connectors' state. */
  notes?: () => string[];
  /** Terminal: redraw one line in place. Otherwise the caller logs each line. */
  tty: boolean;
  write: (text: string) => void;
  intervalMs: number;
}

/** Redraws the status every interval; on a terminal it rewrites the same line. */
export class StatusLine {
  private timer: NodeJS.Timeout | undefined;
  private prev: StatusSample;
  private drawn = false;

  constructor(private readonly options: StatusLineOptions) {
    this.prev = options.sample();
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  tick(): string {
    const cur = this.options.sample();
    const line = formatStatus(this.prev, cur, this.options.lag(), this.options.notes?.() ?? []);
    this.prev = cur;
    if (this.options.tty) {
      this.options.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.options.write(line);
    }
    return line;
  }

  /** Clears the line so a log line can be printed over it (it is redrawn on the next tick). */
  clear(): void {
    if (this.options.tty && this.drawn) {
      this.options.write('\r\x1b[2K');
      this.drawn = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }
}
