// Every log line goes through formatLine: whatever a message or a field carries (a library's error
// text, a URL), no password comes out, and JSON lines stay JSON.
import t from 'tap';
import { createLogger } from '../../../lib/observe';

const SECRET = 's3cr3t-Pw';

t.test('no password in a log line, in the message or in any field, JSON or not', async (t) => {
  for (const json of [true, false]) {
    const lines: string[] = [];
    const log = createLogger({ json, write: (l) => lines.push(l), level: 'debug' });
    log.warn(`waiting for http://reg:${SECRET}@r:8081/apis/ccompat/v7: connect ECONNREFUSED`, {
      url: `mysql://tandem:${SECRET}@db-a:3306/chat`,
      nested: { registry: `http://u:${SECRET}@r/x`, list: [`mysql://u@h/c?password=${SECRET}`] },
      error: new Error(`GET http://c:${SECRET}@connect:8083/connectors: HTTP 500`),
      count: 3,
    });
    log.child('sink').error(`cannot connect to "mysql://tandem:${SECRET}@h/chat"`);
    t.equal(lines.length, 2);
    for (const line of lines) t.notMatch(line, SECRET, `${json ? 'JSON' : 'text'}: ${line}`);
    if (json) {
      const body = JSON.parse(lines[0]) as Record<string, unknown>;
      t.equal(body.msg, 'waiting for http://***@r:8081/apis/ccompat/v7: connect ECONNREFUSED');
      t.equal(body.url, 'mysql://***@db-a:3306/chat');
      t.same(body.nested, { registry: 'http://***@r/x', list: ['mysql://***@h/c?password=***'] });
      t.same(body.error, { message: 'GET http://***@connect:8083/connectors: HTTP 500', name: 'Error' });
      t.equal(body.count, 3);
    }
  }
});

t.test('pino writes the fields e2e tests and the workload harness read: time, level as text, component, msg', async (t) => {
  const lines: string[] = [];
  let cleared = 0;
  const log = createLogger({ json: true, write: (l) => lines.push(l), level: 'info', now: () => new Date(0), beforeWrite: () => cleared++ });
  log.debug('not shown');
  log.child('runtime').info('status', { recordsIn: 3, lag: { 'a-to-b.source': 0 }, big: 5n, msg: 'a field named like a key' });
  t.equal(lines.length, 1, 'below the level: nothing');
  t.equal(cleared, 1, 'the status line is cleared before each line');
  t.same(JSON.parse(lines[0]), {
    time: '1970-01-01T00:00:00.000Z',
    level: 'info',
    component: 'tandem.runtime',
    msg: 'status',
    recordsIn: 3,
    lag: { 'a-to-b.source': 0 },
    big: '5',
    'field.msg': 'a field named like a key',
  });
  t.notOk(lines[0].includes('pid'), 'no pid or hostname in the line');
});

t.test('on a terminal the same line is short text', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ json: false, write: (l) => lines.push(l), now: () => new Date(0) });
  log.child('sink').warn('slow', { n: 1, s: 'x' });
  t.same(lines, ['00:00:00.000 WARN  [tandem.sink] slow n=1 s=x']);
});
