// The wall-clock breakdown of a Tandem child's batches: its /metrics read before and after a
// measured phase (tandem_batch_phase_seconds_total and friends, lib/observe/metrics.ts), the
// difference shown as milliseconds per batch, phase by phase.
import { BATCH_PHASES, phaseLabel } from '../../lib/observe';
import { round } from './stats';

/** The figures of one scrape that the breakdown needs (sums over every label but the phase). */
export interface Scrape {
  phaseS: Record<string, number>;
  batches: number;
  records: number;
  flushes: number;
  flushS: number;
  flushRows: number;
  consumeWaitS: number;
  heldBackS: number;
  deadlocks: number;
  /** prom-client's process figures at the scrape, in MiB: where the resident memory is. */
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number };
}

/** Reads the child's /metrics (TANDEM_HTTP_PORT). */
export async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics on port ${port}: HTTP ${res.status}`);
  return parseScrape(await res.text());
}

/** Sums each series of interest over its labels (Prometheus text format). */
export function parseScrape(text: string): Scrape {
  const out: Scrape = { phaseS: {}, batches: 0, records: 0, flushes: 0, flushS: 0, flushRows: 0, consumeWaitS: 0, heldBackS: 0, deadlocks: 0, memory: { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 } };
  const MiB = 1024 * 1024;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const v = Number(raw);
    if (!Number.isFinite(v)) continue;
    if (name === 'tandem_batch_phase_seconds_total') {
      const phase = /phase="([^"]*)"/.exec(labels)?.[1] ?? '?';
      out.phaseS[phase] = (out.phaseS[phase] ?? 0) + v;
    } else if (name === 'tandem_batch_seconds_count') out.batches += v;
    else if (name === 'tandem_batch_records_sum') out.records += v;
    else if (name === 'tandem_sink_flush_seconds_count') out.flushes += v;
    else if (name === 'tandem_sink_flush_seconds_sum') out.flushS += v;
    else if (name === 'tandem_sink_flush_rows_sum') out.flushRows += v;
    else if (name === 'tandem_consume_wait_seconds_total') out.consumeWaitS += v;
    else if (name === 'tandem_consume_held_back_seconds_total') out.heldBackS += v;
    else if (name === 'tandem_sink_deadlocks_total') out.deadlocks += v;
    else if (name === 'process_resident_memory_bytes') out.memory.rss = round(v / MiB, 0);
    else if (name === 'nodejs_heap_size_total_bytes') out.memory.heapTotal = round(v / MiB, 0);
    else if (name === 'nodejs_heap_size_used_bytes') out.memory.heapUsed = round(v / MiB, 0);
    else if (name === 'nodejs_external_memory_bytes') out.memory.external = round(v / MiB, 0);
  }
  return out;
}

export interface Breakdown {
  batches: number;
  records_per_batch: number;
  /** Mean milliseconds per batch, per phase (lane_wait, decode_wait, stages, sink, publish). */
  ms_per_batch: Record<string, number>;
  flushes: number;
  rows_per_flush: number;
  /** Mean milliseconds of one sink transaction (BEGIN to COMMIT, deadlock retries included). */
  ms_per_flush: number;
  consume_wait_s: number;
  /** Seconds the consume loop did not consume: records in flight at their bound (backpressure). */
  held_back_s: number;
  deadlocks: number;
  /** At the end of the phase, MiB. */
  memory: Scrape['memory'];
}

export function breakdown(before: Scrape, after: Scrape): Breakdown {
  const batches = after.batches - before.batches;
  const flushes = after.flushes - before.flushes;
  const per = (x: number, n: number, digits = 1) => (n > 0 ? round(x / n, digits) : 0);
  const ms: Record<string, number> = {};
  for (const p of BATCH_PHASES) {
    const label = phaseLabel(p);
    ms[label] = per(((after.phaseS[label] ?? 0) - (before.phaseS[label] ?? 0)) * 1000, batches, 2);
  }
  return {
    batches,
    records_per_batch: per(after.records - before.records, batches),
    ms_per_batch: ms,
    flushes,
    rows_per_flush: per(after.flushRows - before.flushRows, flushes),
    ms_per_flush: per((after.flushS - before.flushS) * 1000, flushes, 2),
    consume_wait_s: round(after.consumeWaitS - before.consumeWaitS, 1),
    held_back_s: round(after.heldBackS - before.heldBackS, 1),
    deadlocks: after.deadlocks - before.deadlocks,
    memory: after.memory,
  };
}

/** The breakdown as lines for the bench's output, largest phase first. */
export function showBreakdown(b: Breakdown): string[] {
  const total = Object.values(b.ms_per_batch).reduce((s, x) => s + x, 0);
  const phases = Object.entries(b.ms_per_batch)
    .sort((x, y) => y[1] - x[1])
    .map(([p, v]) => `${p} ${v} ms (${total > 0 ? Math.round((v / total) * 100) : 0} %)`)
    .join(', ');
  return [
    `wall clock per batch (${b.batches} batches of ${b.records_per_batch} records on average): ${phases}`,
    `  sink: ${b.flushes} transactions of ${b.rows_per_flush} rows, ${b.ms_per_flush} ms each (BEGIN..COMMIT); ${b.deadlocks} deadlocks between its own flushes, retried`,
    `  consume loop waited ${b.consume_wait_s} s for records from Kafka, and was held back ${b.held_back_s} s by the bound on records in flight (the sinks behind)`,
    `  memory at the end: RSS ${b.memory.rss} MiB, V8 heap ${b.memory.heapTotal} MiB (${b.memory.heapUsed} used), external ${b.memory.external} MiB (Buffers, outside the heap)`,
  ];
}
