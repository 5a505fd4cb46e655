// /healthz follows the consume loop; /readyz needs the consumer, every database and every watched
// connector, and says which is not ready and why.
import t from 'tap';
import { liveness, readiness, readinessChecks } from '../../../lib/observe';
import { DatabaseProbe } from '../../../lib/runtime/database-probe';

t.test('liveness: starting, running, stuck, stopped', async (t) => {
  t.equal(liveness({ running: false, lastTurnAtMs: 0 }, 1000).alive, true, 'starting counts as alive');
  t.equal(liveness({ running: true, lastTurnAtMs: 1000 }, 2000).alive, true);
  t.same(liveness({ running: true, lastTurnAtMs: 1000 }, 62_000), { alive: false, detail: 'the consume loop has not come round for 61s', lastTurnMsAgo: 61_000 });
  t.equal(liveness({ running: false, lastTurnAtMs: 1000 }, 2000).alive, false, 'stopped');
});

t.test('readiness names each check that fails, with its part', async (t) => {
  const ok = { ok: true, detail: 'answers', sinceMs: 1 };
  const down = { ok: false, detail: 'does not answer: connect ECONNREFUSED', sinceMs: 1 };
  const checks = readinessChecks({
    consumer: () => ({ ok: true, detail: 'connected' }),
    databases: [
      { id: 'a', status: () => ok },
      { id: 'b', status: () => down },
    ],
    connectors: () => ({ databases: [{ database: 'a', connector: 'tandem-source-a', state: 'RUNNING', running: true }, { database: 'b', connector: 'tandem-source-b', state: 'FAILED', running: false }] }),
  });
  t.same(checks.map((c) => [c.name, c.part, c.ok]), [
    ['consumer', 'consumer', true],
    ['database a', 'database:a', true],
    ['database b', 'database:b', false],
    ['connector a', 'connector:a', true],
    ['connector b', 'connector:b', false],
  ]);
  t.same(readiness(checks).notReady, [
    { check: 'database b', detail: 'does not answer: connect ECONNREFUSED' },
    { check: 'connector b', detail: 'tandem-source-b FAILED' },
  ]);
  const unknown = readinessChecks({
    consumer: () => ({ ok: true, detail: '' }),
    databases: [],
    connectors: () => ({ unknown: 'Kafka Connect does not answer', databases: [{ database: 'a', connector: 'tandem-source-a', state: 'RUNNING', running: true }] }),
  });
  t.same(readiness(unknown).notReady, [{ check: 'connector a', detail: 'state unknown: Kafka Connect does not answer' }], 'a state Tandem cannot read is not RUNNING');
  t.equal(readiness(readinessChecks({ consumer: () => ({ ok: true, detail: '' }), databases: [] })).ready, true, 'no Connect watched: no connector check');
});

t.test('a database probe keeps the last answer, with no password in it', async (t) => {
  let up = false;
  const probe = new DatabaseProbe({
    id: 'b',
    ping: async () => {
      if (!up) throw new Error('connect ECONNREFUSED mysql://tandem:s3cret@127.0.0.1:3308/chat');
    },
  });
  t.match(probe.status(), { ok: false, detail: 'not probed yet' });
  await probe.check();
  t.match(probe.status(), { ok: false, detail: 'does not answer: connect ECONNREFUSED mysql://***@127.0.0.1:3308/chat' });
  up = true;
  await probe.check();
  t.match(probe.status(), { ok: true, detail: 'answers' });
});
