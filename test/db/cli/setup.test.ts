import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import setup from '../../../lib/cli/setup';
import teardown from '../../../lib/cli/teardown';
import { parseOriginArgs } from '../../../lib/cli/origin-args';
import { rows, testDb, uniqueTable } from '../fixtures/db';

t.test('arguments: --url (no password) repeatable, --tables, defaults from the environment', async (t) => {
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
  // The URL holds a password: from a file, never from the command line (`ps` shows it).
  const dir = mkdtempSync(join(tmpdir(), 'tandem-setup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'db.url'), `${db.url}\n`);
  const args = ['bidirectional', '--url-file', join(dir, 'db.url'), '--tables', name];
  t.equal(await setup(args), 0);
  t.equal(await setup(args), 0);
  t.same(await count(), [3, 1]);
  t.equal(await teardown(args), 0);
  t.equal(await teardown(args), 0);
  t.same(await count(), [0, 0]);
});

t.test('spawned as make setup runs it: the databases from TANDEM_DB_A_URL / TANDEM_DB_B_URL; a password on argv refused', async (t) => {
  const db = await testDb(t);
  const name = uniqueTable('cli');
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body TEXT, updated_at DATETIME(6) NOT NULL)`);
  const tandem = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: resolve(__dirname, '../../..'), encoding: 'utf8', env: { ...process.env, ...env } });
  const env = { TANDEM_DB_A_URL: db.url, TANDEM_DB_B_URL: db.url, TANDEM_TABLES: name };
  const refused = tandem(['setup', 'bidirectional', '--url', db.url], env);
  t.equal(refused.status, 2);
  t.match(refused.stderr, /--url carries a password/);
  const run = tandem(['setup', 'bidirectional'], env);
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, `installed tandem_tombstones and triggers for ${name} on `);
  t.notMatch(run.stdout, `:${new URL(db.url).password}@`, 'printed masked');
  const [r] = await rows(db.admin, 'SELECT COUNT(*) AS c FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_TABLE = ?', [name]);
  t.equal(Number(r.c), 3);
  t.equal(tandem(['teardown', 'bidirectional'], env).status, 0);
});
