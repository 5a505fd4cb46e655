// The CLI never wants a password on its command line, which every user of the machine reads in
// `ps`: URLs with one are refused with what to do instead; the environment and files are the way.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parseOriginArgs } from '../../../lib/cli/origin-args';
import { parseVerifyArgs } from '../../../lib/cli/verify';

const SECRET = 's3cr3t-Pw';
const root = resolve(__dirname, '../../..');
const tandem = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port nothing listens on (it was free a moment ago): connecting fails at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

t.test('setup/teardown arguments: --url with a password is refused, without one it stays, --url-file reads one', async (t) => {
  for (const args of [['--url', `mysql://tandem:${SECRET}@h/chat`], [`--url=mysql://tandem:${SECRET}@h/chat`], ['--url', `mysql://u@h/chat?password=${SECRET}`]]) {
    const refused = parseOriginArgs(['bidirectional', ...args], {});
    t.type(refused, 'string');
    t.match(refused, /^--url carries a password, which any user of this machine can read in `ps`: .*TANDEM_DB_A_URL and TANDEM_DB_B_URL.*--url-file <path>/);
    t.notMatch(refused, SECRET);
  }
  t.same(parseOriginArgs(['--url', 'mysql://tandem@h:1/chat', '--tables', 'rooms'], {}), { urls: ['mysql://tandem@h:1/chat'], tables: ['rooms'] }, 'no password: allowed');
  t.same(parseOriginArgs(['--url', 'mysql://tandem@h:1/chat', '--tables', '*'], {}), { urls: ['mysql://tandem@h:1/chat'], tables: '*' }, 'TANDEM_TABLES=*: each database\'s syncable tables, read when it runs');
  const dir = tempDir(t);
  const file = join(dir, 'a.url');
  writeFileSync(file, `mysql://tandem:${SECRET}@h:1/chat\n`);
  t.same(parseOriginArgs(['--url-file', file, '--url', 'mysql://u@h:2/chat', '--tables=rooms'], {}), { urls: [`mysql://tandem:${SECRET}@h:1/chat`, 'mysql://u@h:2/chat'], tables: ['rooms'] });
  t.same(parseOriginArgs(['--tables', 'rooms'], { TANDEM_DB_A_URL: `mysql://tandem:${SECRET}@h:1/chat`, TANDEM_DB_B_URL: `mysql://tandem:${SECRET}@h:2/chat` }), {
    urls: [`mysql://tandem:${SECRET}@h:1/chat`, `mysql://tandem:${SECRET}@h:2/chat`],
    tables: ['rooms'],
  }, 'the environment');
  const twoLines = join(dir, 'two.url');
  writeFileSync(twoLines, `mysql://tandem:${SECRET}@h:1/chat\nmysql://tandem:${SECRET}@h:2/chat\n`);
  const bad = parseOriginArgs(['--url-file', twoLines], {});
  t.equal(bad, `--url-file ${twoLines} must hold one URL (mysql://user:password@host:port/database) on one line, has 2 lines`);
  t.match(parseOriginArgs(['--url-file', join(dir, 'missing')], {}), /^--url-file .*missing cannot be read: ENOENT/);
});

t.test('verify arguments: --a/--b with a password refused, --a-file/--b-file and the environment accepted', async (t) => {
  const env = { TANDEM_DB_A_URL: `mysql://u:${SECRET}@h:1/chat`, TANDEM_DB_B_URL: `mysql://u:${SECRET}@h:2/chat` };
  const refused = parseVerifyArgs(['--b', `mysql://u:${SECRET}@h:9/chat`], env);
  t.match(refused, /^--b carries a password, which any user of this machine can read in `ps`: leave --b out to use TANDEM_DB_B_URL from the environment, or put the URL in a file and pass --b-file <path>$/);
  t.notMatch(refused, SECRET);
  t.match(parseVerifyArgs(['--a', 'mysql://u@h:9/chat'], env), { a: 'mysql://u@h:9/chat', b: env.TANDEM_DB_B_URL });
  const file = join(tempDir(t), 'b.url');
  writeFileSync(file, `  mysql://v:${SECRET}@h:3/chat  \n`);
  t.match(parseVerifyArgs(['--b-file', file], env), { a: env.TANDEM_DB_A_URL, b: `mysql://v:${SECRET}@h:3/chat` });
  t.equal(parseVerifyArgs(['--b-file', file, '--b', 'mysql://u@h/chat'], env), 'give --b or --b-file, not both');
});

t.test('spawned: tandem setup and verify refuse a password on the command line (exit 2), never echoing it', async (t) => {
  for (const args of [['setup', '--url', `mysql://tandem:${SECRET}@127.0.0.1:1/chat`], ['teardown', `--url=mysql://tandem:${SECRET}@127.0.0.1:1/chat`], ['verify', '--a', `mysql://tandem:${SECRET}@127.0.0.1:1/chat`]]) {
    const run = tandem(args);
    t.equal(run.status, 2, `${args[0]}: ${run.stderr}`);
    t.match(run.stderr, new RegExp(`^tandem ${args[0]}: --(url|a) carries a password, which any user of this machine can read in \`ps\``));
    t.notMatch(run.stderr + run.stdout, SECRET);
  }
});

t.test('spawned: tandem setup takes the password from the environment or a file, and names the database masked when it fails', async (t) => {
  const port = await closedPort();
  const url = `mysql://tandem:${SECRET}@127.0.0.1:${port}/chat`;
  const fromEnv = tandem(['setup', 'bidirectional'], { TANDEM_DB_A_URL: url, TANDEM_DB_B_URL: url });
  const file = join(tempDir(t), 'a.url');
  writeFileSync(file, url);
  const fromFile = tandem(['setup', '--url-file', file, '--tables', 'rooms']);
  for (const run of [fromEnv, fromFile]) {
    // Accepted (it got as far as connecting), and the failure names the database without its password.
    t.equal(run.status, 1, run.stderr);
    t.match(run.stderr, `tandem setup: mysql://tandem:***@127.0.0.1:${port}/chat: `);
    t.match(run.stderr, /ECONNREFUSED/);
    t.notMatch(run.stderr + run.stdout, SECRET);
  }
});
