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
