import t from 'tap';
import { retriable, withRetry } from '../../../lib/errors';
import { createLogger, formatDuration, Outages } from '../../../lib/observe';

function setup() {
  const lines: Record<string, unknown>[] = [];
  let now = 1_000_000;
  const log = createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const outages = new Outages({ log, everyMs: 60_000, now: () => now });
  return { lines, outages, advance: (ms: number) => (now += ms) };
}

t.test('one line when a wait starts, one per period while it lasts, one when the part is back', async (t) => {
  const { lines, outages, advance } = setup();
  outages.failed('mysql-b', 'connect ECONNREFUSED');
  for (let i = 0; i < 20; i++) {
    advance(5_000);
    outages.failed('mysql-b', 'connect ECONNREFUSED');
  }
  t.same(outages.current().map((o) => [o.what, o.attempts]), [['mysql-b', 21]]);
  advance(30_000);
  outages.recovered('mysql-b');
  t.same(
    lines.map((l) => l.msg),
    ['waiting for mysql-b: connect ECONNREFUSED', 'still waiting for mysql-b (1m 0s, 13 attempts): connect ECONNREFUSED', 'mysql-b is back after 2m 10s; resuming'],
  );
  t.same(outages.current(), []);
  outages.recovered('mysql-b');
  t.equal(lines.length, 3, 'a part that was not waited for is not announced');
});

t.test('concurrent waits for one part make one story; other parts have their own', async (t) => {
  const { lines, outages } = setup();
  outages.failed('mysql-b', 'down');
  outages.failed('mysql-b', 'down');
  outages.failed('schema registry', 'HTTP 503');
  t.same(outages.current().map((o) => o.what), ['mysql-b', 'schema registry']);
  t.equal(lines.filter((l) => String(l.msg).startsWith('waiting for')).length, 2);
});

t.test('as retry hooks: the part (here picked from the error), success after a wait closes it', async (t) => {
  const { lines, outages } = setup();
  let calls = 0;
  const out = await withRetry(
    { retries: Infinity, initialMs: 1, maxMs: 1, factor: 1, jitter: 0 },
    async () => {
      if (++calls < 4) throw retriable('connection lost', { stage: 'mysql-a' });
      return 'done';
    },
    outages.hooks((err) => err.context.stage ?? 'sink of b-to-a'),
  );
  t.equal(out, 'done');
  t.same(lines.map((l) => l.msg), ['waiting for mysql-a: connection lost', 'mysql-a is back after 0s; resuming']);
});

t.test('durations read like a person would say them', async (t) => {
  t.same([formatDuration(900), formatDuration(59_000), formatDuration(185_000), formatDuration(7_260_000)], ['1s', '59s', '3m 5s', '2h 1m']);
});
