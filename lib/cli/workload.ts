// `tandem workload [--seed n] [--operations n] [--duration s] [--rate n] [--writers n]`: random,
// seeded application writes on both databases at once (TANDEM_DB_A_URL, TANDEM_DB_B_URL: from the
// environment only, never the command line, which `ps` shows). The seed is printed first, so a run
// that led to a failure can be replayed with --seed.
import { formatWorkload, newSeed, runWorkload, seedWorkload } from '../workload';
import { setting } from './database-urls';

export const usage = `usage: tandem workload [--seed n] [--operations 5000] [--duration s] [--rate 200] [--writers 2]
  random seeded application writes on both databases at once (TANDEM_DB_A_URL, TANDEM_DB_B_URL);
  the seed is printed first so a run can be replayed with --seed
  exit: 0 done, 1 a database failed, 2 bad arguments`;

export function parseWorkloadArgs(args: string[]): Record<'seed' | 'operations' | 'duration' | 'rate' | 'writers', number | undefined> | string {
  const names = ['seed', 'operations', 'duration', 'rate', 'writers'] as const;
  const out: Record<(typeof names)[number], number | undefined> = { seed: undefined, operations: undefined, duration: undefined, rate: undefined, writers: undefined };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    const name = names.find((n) => `--${n}` === flag);
    if (!name) return `unknown argument ${args[i]}`;
    const n = Number(inline ?? args[++i]);
    if (!Number.isInteger(n) || n < 0) return `${flag} needs a non-negative integer`;
    out[name] = n;
  }
  return out;
}

export default async function workload(args: string[]): Promise<number> {
  const p = parseWorkloadArgs(args);
  if (typeof p === 'string') {
    process.stderr.write(`tandem workload: ${p}\n${usage}\n`);
    return 2;
  }
  const seed = p.seed ?? newSeed();
  const [a, b] = [setting(process.env, 'TANDEM_DB_A_URL'), setting(process.env, 'TANDEM_DB_B_URL')];
  const operations = p.operations ?? (p.duration === undefined ? 5000 : undefined);
  process.stdout.write(`workload seed=${seed} (replay: tandem workload --seed ${seed}${operations === undefined ? '' : ` --operations ${operations}`})\n`);
  await seedWorkload(a, b);
  const stats = await runWorkload({ a, b, seed, operations, durationMs: p.duration === undefined ? undefined : p.duration * 1000, ratePerS: p.rate ?? 200, writers: p.writers ?? 2 });
  process.stdout.write(`${formatWorkload(stats)}\n`);
  for (const r of stats.refusals) process.stdout.write(`  refused: ${r}\n`);
  return 0;
}
