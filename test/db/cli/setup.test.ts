import t from 'tap';
import setup from '../../../lib/cli/setup';
import teardown from '../../../lib/cli/teardown';
import { parseOriginArgs } from '../../../lib/cli/origin-args';
import { rows, testDb, uniqueTable } from '../fixtures/db';

t.test('arguments: --url repeatable, --tables, defaults from the environment', async (t) => {
  t.same(parseOriginArgs(['bidirectional', '--url', 'mysql://x@h:1/d', '--url=mysql://y@h:2/d', '--tables', 'a,b:x+y']), {
    urls: ['mysql://x@h:1/d', 'mysql://y@h:2/d'],
    tables: ['a', 'b'],
  });
  t.same(parseOriginArgs([], { TANDEM_DB_A_URL: 'mysql://a@h/c', TANDEM_DB_B_URL: 'mysql://b@h/c', TANDEM_TABLES: 'rooms' }), {
    urls: ['mysql://a@h/c', 'mysql://b@h/c'],
    tables: ['rooms'],
  });
  t.same(parseOriginArgs([], { TANDEM_DB_A_URL: '', TANDEM_TABLES: '' }), {
    urls: ['mysql://tandem:tandem@127.0.0.1:3307/chat', 'mysql://tandem:tandem@127.0.0.1:3308/chat'],
    tables: ['rooms', 'members', 'messages'],
  }, 'unset or empty settings take lib/config defaults');
  t.match(parseOriginArgs(['--bogus']), /unknown option --bogus/);
  t.match(parseOriginArgs(['--tables', 'a;drop']), /not a plain identifier/);
});

t.test('setup installs and teardown removes, both idempotent', async (t) => {
  const db = await testDb(t);
  const name = uniqueTable('cli');
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body TEXT, updated_at DATETIME(6) NOT NULL)`);
  const count = async () => {
    const [r] = await rows(db.admin, "SELECT COUNT(*) AS c FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_TABLE = ?", [name]);
    const [tb] = await rows(db.admin, "SELECT COUNT(*) AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'chat' AND TABLE_NAME = 'tandem_tombstones'");
    return [Number(r.c), Number(tb.c)];
  };
  const args = ['bidirectional', '--url', db.url, '--tables', name];
  t.equal(await setup(args), 0);
  t.equal(await setup(args), 0);
  t.same(await count(), [3, 1]);
  t.equal(await teardown(args), 0);
  t.equal(await teardown(args), 0);
  t.same(await count(), [0, 0]);
});
