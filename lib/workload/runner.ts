// Runs the application-style workload on both masters at once: `writers` connections per side,
// each with its own seeded operation stream, paced to a total rate, until `operations` are done
// or `durationMs` has passed. Errors an application would see (duplicate insert, FK, deadlock)
// are counted, not retried: the statement simply did not happen.
import { createConnection, type Connection } from 'mysql2/promise';
import { nextOperation, seedRoomsSql, type KeySpace, type OpKind } from './operations';
import { Random } from './random';

export interface WorkloadOptions {
  a: string;
  b: string;
  seed: number;
  /** Stop after this many statements in total (both sides). */
  operations?: number;
  /** Stop after this long. At least one of operations / durationMs. */
  durationMs?: number;
  /** Statements per second over both sides; 0 = as fast as the writers go. */
  ratePerS?: number;
  /** Connections per side. */
  writers?: number;
  keys?: Partial<KeySpace>;
  /** Lets a caller (fault injection) act while the workload runs; resolves when done. */
  signal?: AbortSignal;
}

export interface WorkloadStats {
  seed: number;
  operations: number;
  /** Statements that changed at least one row. */
  changed: number;
  /** Statements the database refused (duplicate key, lock wait, lost connection...). */
  refused: number;
  bySide: Record<'a' | 'b', number>;
  byKind: Record<OpKind, number>;
  elapsedMs: number;
  /** First few refusal messages, for the log. */
  refusals: string[];
}

export const defaultKeys: KeySpace = { rooms: 20, users: 40, messages: 1500, base: 0 };

/** Seeds identical rooms on both sides (messages and members point at them). */
export async function seedWorkload(a: string, b: string, keys: Partial<KeySpace> = {}): Promise<void> {
  const k = { ...defaultKeys, ...keys };
  for (const url of [a, b]) {
    const conn = await createConnection(url);
    try {
      const { sql, args } = seedRoomsSql(k);
      await conn.query(sql, args);
    } finally {
      await conn.end();
    }
  }
}

class Pacer {
  private issued = 0;
  constructor(private readonly ratePerS: number, private readonly t0: number) {}
  /** Waits until the next statement is due under the total rate. */
  async turn(): Promise<void> {
    if (this.ratePerS <= 0) return;
    const due = this.t0 + (this.issued++ * 1000) / this.ratePerS;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

const affected = (result: unknown): number =>
  typeof result === 'object' && result !== null && 'affectedRows' in result && typeof result.affectedRows === 'number' ? result.affectedRows : 0;

export async function runWorkload(o: WorkloadOptions): Promise<WorkloadStats> {
  if (o.operations === undefined && o.durationMs === undefined) throw new Error('runWorkload needs operations or durationMs');
  const keys = { ...defaultKeys, ...o.keys };
  const t0 = Date.now();
  const stats: WorkloadStats = { seed: o.seed, operations: 0, changed: 0, refused: 0, bySide: { a: 0, b: 0 }, byKind: { insert: 0, update: 0, delete: 0 }, elapsedMs: 0, refusals: [] };
  const pacer = new Pacer(o.ratePerS ?? 0, t0);
  const limit = o.operations ?? Number.POSITIVE_INFINITY;
  let claimed = 0;
  const more = () => claimed < limit && (o.durationMs === undefined || Date.now() - t0 < o.durationMs) && !o.signal?.aborted;

  const writer = async (side: 'a' | 'b', index: number): Promise<void> => {
    const random = new Random(Random.derive(o.seed, `${side}${index}`));
    let conn: Connection | undefined;
    try {
      while (more()) {
        claimed++;
        const op = nextOperation(random, keys);
        await pacer.turn();
        try {
          conn ??= await createConnection(side === 'a' ? o.a : o.b);
          const [result] = await conn.query(op.sql, op.args);
          if (affected(result) > 0) stats.changed++;
        } catch (err) {
          stats.refused++;
          if (stats.refusals.length < 5) stats.refusals.push(`${side} ${op.table} ${op.kind}: ${err instanceof Error ? err.message : String(err)}`);
          // A lost connection (a restarted database) is reopened for the next statement.
          if (err instanceof Error && /closed|ECONNRE|PROTOCOL_CONNECTION_LOST|Can't add new command|gone away|shutdown/i.test(`${err.message} ${(err as { code?: string }).code ?? ''}`)) {
            conn?.destroy();
            conn = undefined;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        stats.operations++;
        stats.bySide[side]++;
        stats.byKind[op.kind]++;
      }
    } finally {
      await conn?.end().catch(() => conn?.destroy());
    }
  };

  const writers = o.writers ?? 2;
  await Promise.all((['a', 'b'] as const).flatMap((side) => Array.from({ length: writers }, (_, i) => writer(side, i))));
  stats.elapsedMs = Date.now() - t0;
  return stats;
}

export function formatWorkload(s: WorkloadStats): string {
  return (
    `workload seed=${s.seed}: ${s.operations} operations (a ${s.bySide.a}, b ${s.bySide.b}; ` +
    `insert ${s.byKind.insert}, update ${s.byKind.update}, delete ${s.byKind.delete}), ${s.changed} changed rows, ` +
    `${s.refused} refused, ${(s.elapsedMs / 1000).toFixed(1)}s`
  );
}
