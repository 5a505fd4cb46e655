// Figures the benches print: min/median/max over runs, percentiles over samples, the JSON line.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Spread {
  runs: number;
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { runs: values.length, min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

export const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

export function showSpread(s: Spread, unit: string, digits = 0): string {
  return `min ${round(s.min, digits)} / median ${round(s.median, digits)} / max ${round(s.max, digits)} ${unit} (${s.runs} run${s.runs === 1 ? '' : 's'})`;
}

/** The one machine-readable line each bench part ends with. */
export function jsonLine(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
}

export const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return n;
}

export function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name}=${raw} must be a comma-separated list of positive numbers`);
  return list;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; throws naming what was awaited after `timeoutMs`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
