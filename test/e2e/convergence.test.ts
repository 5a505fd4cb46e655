// Convergence through the whole real pipeline (two MariaDB, Debezium, Kafka, registry, the
// bidirectional topology as a child process): a seeded random workload on both masters at once,
// with the topology SIGKILLed mid-run and a poison record injected into a source topic. After the
// writers stop, verify must find zero differences (tombstones: none that a newer row does not
// make irrelevant, see lib/verify/tombstones.ts), no change may have crossed twice, and the
// poison record must be in the dead-letter topic. Replay a failure with TANDEM_SEED=<seed>.
import t from 'tap';
import { loadStackConfig } from '../../lib/stack';
import { formatReport } from '../../lib/verify';
import { newSeed, pipelineEnv, poisonRecord, runConvergence, sigkillTopology, summarize } from '../../lib/workload';

const seed = process.env.TANDEM_SEED ? Number(process.env.TANDEM_SEED) : newSeed();
const operations = Number(process.env.TANDEM_CONVERGENCE_OPS ?? 5000);

t.test(`convergence: ${operations} random operations on both masters, SIGKILL + poison (seed ${seed})`, async (t) => {
  t.comment(`seed ${seed} (replay: TANDEM_SEED=${seed} npx tap run test/e2e/convergence.test.ts)`);
  const env = process.env;
  const r = await runConvergence({
    seed,
    operations,
    ratePerS: 150,
    writers: 2,
    faults: [sigkillTopology, poisonRecord],
    stack: loadStackConfig(),
    env: pipelineEnv(env),
    settleTimeoutMs: 180_000,
    log: (line) => t.comment(line),
  });
  t.comment(JSON.stringify(summarize(r)));
  if (!r.report.ok) t.comment(formatReport(r.report));
  t.equal(r.workload.operations, operations, 'every operation was issued');
  t.same(r.faults.map((f) => [f.name, f.ok]), [['sigkill-topology', true], ['poison-record', true]], 'both faults injected');
  t.equal(r.report.differences, 0, 'verify: zero differences in rooms, members, messages after the writers stopped');
  t.same(r.tombstones.notDominated, [], `tandem_tombstones: every one of the ${r.tombstones.report.differences} differences is dominated by a newer identical row on both sides`);
  t.ok(r.report.rowsA > 0, `rows compared (${r.report.rowsA})`);
  t.ok(r.crossings.a.app > 0 && r.crossings.b.app > 0, 'application changes on both sides');
  t.ok(r.crossings.a.tandem <= r.crossings.b.app, `b→a: ${r.crossings.a.tandem} Tandem writes on a ≤ ${r.crossings.b.app} application changes on b`);
  t.ok(r.crossings.b.tandem <= r.crossings.a.app, `a→b: ${r.crossings.b.tandem} Tandem writes on b ≤ ${r.crossings.a.app} application changes on a`);
  t.equal(r.quietGrowth, 0, 'the change topics stop growing once the writers stopped: nothing keeps travelling');
  t.equal(r.crossings.undecodable, 1, 'the one poison record was the only undecodable record');
  t.equal(r.poisonDeadLettered, true, 'the poison record is in the dead-letter topic');
});
