// `make soak`: the larger convergence run with every fault, against the stack in the environment
// (soak/run.sh brings up its own). Prints the summary, ends with one JSON line, and writes
// soak/RESULTS.md with the command that produced it. Exit 1 unless the databases converged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadStackConfig } from '../lib/stack';
import { formatReport } from '../lib/verify';
import { addColumnOnA, addedColumn, demoSchemaChanges, newSeed, outage, pipelineEnv, poisonRecord, restart, runConvergence, sigkillTopology, summarize, type ConvergenceResult } from '../lib/workload';

const env = process.env;
const seed = env.TANDEM_SEED ? Number(env.TANDEM_SEED) : newSeed();
const rate = Number(env.SOAK_RATE ?? 150);
// Outages longer than any retry budget: 3 min per database, 2 min for Kafka and the registry.
// SOAK_OUTAGE_SCALE=0.1 shortens them for a quick look (the figures then say so).
const scale = Number(env.SOAK_OUTAGE_SCALE ?? 1);
const gapS = Number(env.SOAK_GAP_S ?? 20);
const faults = [
  sigkillTopology,
  restart('connect'),
  restart('connect', { kill: true }),
  restart('db-a'),
  poisonRecord,
  restart('db-b'),
  demoSchemaChanges[0],
  restart('kafka'),
  addColumnOnA,
  demoSchemaChanges[1],
  restart('registry'),
  demoSchemaChanges[2],
  outage('db-a', 180_000 * scale),
  outage('db-b', 180_000 * scale),
  outage('kafka', 120_000 * scale),
  outage('registry', 120_000 * scale),
  demoSchemaChanges[3],
  sigkillTopology,
  demoSchemaChanges[4],
];
// run.sh sets SOAK_COMMAND; a direct run names itself and the stack it used.
const command = `SOAK_RATE=${rate} SOAK_OUTAGE_SCALE=${scale} SOAK_GAP_S=${gapS} TANDEM_SEED=${seed} ${env.SOAK_COMMAND ?? `tsx soak/soak.ts (stack state ${env.TANDEM_STATE_DIR ?? 'default'})`}`;

function markdown(r: ConvergenceResult, summary: Record<string, unknown>): string {
  const alter = r.faults.find((f) => f.name === 'alter-add-column');
  const schemaFaults = r.faults.filter((f) => /^(alter|ddl)-/.test(f.name));
  const definitionDiffs = r.report.tables.filter((t) => t.schema).map((t) => `${t.table} (${t.schema})`);
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
    'Each fault is followed by a check that changes nothing: every part of the stack up and both source connectors RUNNING',
    '(read after the probe rows crossed, never restarted by the check), and a row inserted on each side afterwards found on',
    'the other. A fault is ok only when all three hold. The writers keep going on both sides throughout (statements on a',
    'database that is down fail, as they would for the application).',
    '',
    '| fault | at | down for | every part RUNNING again | rows crossed a→b | rows crossed b→a | check took | ok | what happened |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.faults.map((f) => {
      const c = f.check;
      const yes = (v: boolean | undefined) => (v === undefined ? '–' : v ? 'yes' : 'NO');
      const cell = (text: string) => text.replace(/\|/g, '\\|').split('\n')[0];
      return (
        `| ${f.name} | ${(f.atMs / 1000).toFixed(1)} s | ${f.downMs === undefined ? '–' : `${(f.downMs / 1000).toFixed(1)} s`} | ` +
        `${c ? (c.allRunning ? 'yes' : `NO: ${cell(c.parts)}`) : '–'} | ${yes(c?.crossedAToB)} | ${yes(c?.crossedBToA)} | ` +
        `${c ? `${(c.checkMs / 1000).toFixed(1)} s` : '–'} | ${f.ok ? 'yes' : 'NO'} | ${cell(f.note)} |`
      );
    }),
    '',
    `ALTER TABLE ... ADD COLUMN on a: ${alterResult}.`,
    '',
    `Schema changes run on one side while the writers ran (every fault named alter-* or ddl-* above): ${schemaFaults.length}, ` +
      `${schemaFaults.filter((f) => f.ok).length} ok. The final verify compares every table's definition (SHOW CREATE TABLE) as well as its rows: ` +
      `${definitionDiffs.length === 0 ? 'no definition differs' : `definitions differ for ${definitionDiffs.join(', ')}`}.`,
    '',
    'Figures: `conflicts_resolved` = LWW conflicts the topology collapsed inside a batch; `lww_refused_at_sink` = rows',
    "the sink's guard refused or found already applied (echo re-deliveries after a SIGKILL included);",
    '`echoes_suppressed` = Tandem-written changes the origin filter dropped; counters of a SIGKILLed runtime count up',
    'to its last status line (1 s). `app_changes_*` / `tandem_writes_*` are read from the change topics: a Tandem',
    'write on one side exists only for an application change on the other, so `tandem_writes_a ≤ app_changes_b` and',
    '`tandem_writes_b ≤ app_changes_a` mean no change crossed twice; `no_loop` also requires that no record was appended',
    'to the change topics in the quiet seconds after convergence. The stack\'s connectors drop Tandem\'s writes at the source',
    '(docs/loop-prevention.md, "Echoes dropped at the source"): `tandem_writes_*` and `echoes_suppressed` are then 0,',
    'and `no_loop` rests on the quiet seconds.',
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
  const logDir = join(loadStackConfig().cacheDir, 'soak-logs');
  mkdirSync(logDir, { recursive: true });
  const runtimeLog = join(logDir, `runtime-${seed}-${Date.now()}.log`);
  log(`the runtime's log: ${runtimeLog}`);
  const r = await runConvergence({
    seed,
    untilFaultsDone: { firstAtMs: gapS * 1000, gapMs: gapS * 1000, tailMs: gapS * 1000 },
    ratePerS: rate,
    writers: 2,
    faults,
    stack: loadStackConfig(),
    env: pipelineEnv(env),
    settleTimeoutMs: Number(env.SOAK_SETTLE_S ?? 600) * 1000,
    log,
    runtimeLog,
  });
  const summary = { ...summarize(r), faults_ok: r.faults.filter((f) => f.ok).length, faults: r.faults.length };
  log(formatReport(r.report));
  writeFileSync(resolve(__dirname, 'RESULTS.md'), markdown(r, summary));
  log('wrote soak/RESULTS.md');
  log(JSON.stringify({ bench: 'soak', ...summary }));
  return r.report.ok && r.crossings.noLoop && r.quietGrowth === 0 && r.faults.every((f) => f.ok) && r.runtimeUnexpectedExits === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
