import t from 'tap';
import { Counters, StatusLine, formatLine, formatStatus } from '../../../lib/observe';

t.test('status shows rates since the last sample, totals and lag per direction', async (t) => {
  const prev = { counters: Counters.zero(), atMs: 0 };
  const c = new Counters();
  c.add('recordsIn', 2500);
  c.add('recordsOut', 2000);
  c.add('echoesSuppressed', 7);
  c.add('conflictsResolved', 2);
  c.add('deadLettered', 1);
  const line = formatStatus(prev, { counters: c.snapshot(), atMs: 2000 }, { 'b-to-a': 3, 'a-to-b': 120 });
  t.equal(line, 'in 1250/s out 1000/s | echoes 7 conflicts 2 dead 1 | lag a-to-b=120 b-to-a=3');
});

t.test('on a terminal the line is redrawn in place', async (t) => {
  const out: string[] = [];
  const s = new StatusLine({ sample: () => ({ counters: Counters.zero(), atMs: 1000 }), lag: () => ({}), tty: true, write: (x) => out.push(x), intervalMs: 1000 });
  s.tick();
  s.clear();
  t.same(out, ['\r\x1b[2Kin 0/s out 0/s | echoes 0 conflicts 0 dead 0 | lag -', '\r\x1b[2K']);
});

t.test('log lines are JSON objects off a terminal', async (t) => {
  const line = formatLine(true, new Date(0), 'warn', 'tandem.runtime', 'broker down', { attempt: 2, big: 5n, err: new Error('x') });
  t.same(JSON.parse(line), { time: '1970-01-01T00:00:00.000Z', level: 'warn', component: 'tandem.runtime', msg: 'broker down', attempt: 2, big: '5', err: { message: 'x', name: 'Error' } });
  t.equal(formatLine(false, new Date(0), 'info', 'c', 'hi', { n: 1 }), '00:00:00.000 INFO  [c] hi n=1');
});
