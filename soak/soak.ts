// `make soak`: the larger convergence run with every fault, against the stack in the environment
// (soak/run.sh brings up its own). Prints the summary, ends with one JSON line, and writes
// soak/RESULTS.md with the command that produced it. Exit 1 unless the databases converged.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStackConfig } from '../lib/stack';
import { formatReport } from '../lib/verify';
import { addColumnOnA, addedColumn, newSeed, pipelineEnv, poisonRecord, restart, runConvergence, sigkillTopology, summarize, type ConvergenceResult } from '../lib/workload';

const env = process.env;
const seed = env.TANDEM_SEED ? Number(env.TANDEM_SEED) : newSeed();
const operations = Number(env.SOAK_OPS ?? 20_000);
const rate = Number(env.SOAK_RATE ?? 150);
const faults = [sigkillTopology, restart('db-a'), poisonRecord, restart('connect'), addColumnOnA, restart('kafka'), restart('db-b'), sigkillTopology];
// run.sh sets SOAK_COMMAND; a direct run names itself and the stack it used.
const command = `SOAK_OPS=${operations} SOAK_RATE=${rate} TANDEM_SEED=${seed} ${env.SOAK_COMMAND ?? `tsx soak/soak.ts (stack state ${env.TANDEM_STATE_DIR ?? 'default'})`}`;

function markdown(r: ConvergenceResult, summary: Record<string, unknown>): string {
  const alter = r.faults.find((f) => f.name === 'alter-add-column');
  const schema = r.report.tables.find((t) => t.table === 'messages')?.schema;
  const alterResult = !alter
    ? 'not injected'
    : !alter.ok
      ? `injection failed: ${alter.note}`
      : schema
        ? `NOT carried: ${schema}`
        : `carried: messages.${addedColumn} exists on both sides and every row compares equal`;
  return [
    '# Soak results',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString()} (2-core shared machine, one local stack).`,
    '',
    `**${r.report.ok ? 'Converged' : 'NOT converged'}**: ${r.report.differences} differences, ${(r.settleMs / 1000).toFixed(1)} s after the writers stopped.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...Object.entries(summary).map(([k, v]) => `| ${k} | ${String(v)} |`),
    '',
    '## Faults (in order, time after the writers started)',
    '',
    '| fault | at | ok | what happened |',
    '|---|---|---|---|',
    ...r.faults.map((f) => `| ${f.name} | ${(f.atMs / 1000).toFixed(1)} s | ${f.ok ? 'yes' : 'NO'} | ${f.note.replace(/\|/g, '\\|').split('\n')[0]} |`),
    '',
    `ALTER TABLE ... ADD COLUMN on a: ${alterResult}.`,
    '',
    'Figures: `conflicts_resolved` = LWW conflicts the topology collapsed inside a batch; `lww_refused_at_sink` = rows',
    "the sink's guard refused or found already applied (echo re-deliveries after a SIGKILL included);",
    '`echoes_suppressed` = Tandem-written changes the origin filter dropped; counters of a SIGKILLed runtime count up',
    'to its last status line (1 s). `app_changes_*` / `tandem_writes_*` are read from the change topics: a Tandem',
    'write on one side exists only for an application change on the other, so `tandem_writes_a ≤ app_changes_b` and',
    '`tandem_writes_b ≤ app_changes_a` mean no change crossed twice; `no_loop` also requires that no record was appended',
    'to the change topics in the quiet seconds after convergence.',
    '',
    '## verify (application tables)',
    '',
    '```',
    formatReport(r.report),
    '```',
    '',
    "## verify (Tandem's tandem_tombstones)",
    '',
    `${r.tombstones.report.differences} differing tombstones, ${r.tombstones.dominated} of them dominated (the row exists on both sides,`,
    'identical, newer than either deleted_at; in the cases traced, the lastWriterWins stage had dropped a delete that lost',
    `to a newer write of the same row inside one batch, so the target never recorded it); ${r.tombstones.notDominated.length} not dominated.`,
    '',
    '```',
    formatReport({ ...r.tombstones.report, diffs: r.tombstones.notDominated.slice(0, 10) }),
    '```',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`soak: seed ${seed} (replay: ${command})`);
  const r = await runConvergence({
    seed,
    operations,
    ratePerS: rate,
    writers: 2,
    faults,
    stack: loadStackConfig(),
    env: pipelineEnv(env),
    settleTimeoutMs: Number(env.SOAK_SETTLE_S ?? 600) * 1000,
    log,
  });
  const summary = { ...summarize(r), faults_ok: r.faults.filter((f) => f.ok).length, faults: r.faults.length };
  log(formatReport(r.report));
  writeFileSync(resolve(__dirname, 'RESULTS.md'), markdown(r, summary));
  log('wrote soak/RESULTS.md');
  log(JSON.stringify({ bench: 'soak', ...summary }));
  return r.report.ok && r.crossings.noLoop && r.quietGrowth === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
