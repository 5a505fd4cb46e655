// Another commit of Tandem extracted beside this checkout, as the benches run it for a same-run
// comparison (bench/support/checkout.ts): its tree, this checkout's dependencies, a launcher.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const cache = mkdtempSync(join(tmpdir(), 'tandem-checkouts-'));
// The cache (and so the extracted trees) under a directory of the test's own.
process.env.TANDEM_CACHE_DIR = cache;
t.teardown(() => rmSync(cache, { recursive: true, force: true }));

const git = (...args: string[]) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).stdout.trim();

t.test('a commit of the clone: its tree, this checkout\'s node_modules, its own launcher', async (t) => {
  const { checkoutOf, commitOf } = await import('../../../bench/support/checkout');
  t.match(commitOf('HEAD'), /^[0-9a-f]{40}$/);
  t.equal(commitOf('no-such-revision-anywhere'), undefined);
  const got = checkoutOf('HEAD');
  if (!('root' in got)) return t.fail(got.skipped);
  t.equal(got.commit, git('rev-parse', 'HEAD'));
  t.ok(got.root.startsWith(cache), 'extracted under the cache, outside the clone');
  t.equal(readFileSync(join(got.root, 'package.json'), 'utf8'), git('show', 'HEAD:package.json') + '\n');
  t.equal(readlinkSync(join(got.root, 'node_modules')), join(ROOT, 'node_modules'));
  t.equal(readFileSync(join(got.root, 'bin', 'tandem-node'), 'utf8'), git('show', 'HEAD:bin/tandem-node') + '\n', 'a commit that has bin/tandem-node keeps its own');
  t.same(checkoutOf(got.commit), got, 'extracted once; asked again, the same directory');
  t.same(checkoutOf('no-such-revision-anywhere'), { skipped: "commit no-such-revision-anywhere is not in this clone's history (a shallow clone?)" });
});

// Issue 14's baseline: a commit from before bin/tandem-node (absent from a shallow clone).
const BEFORE_LAUNCHER = '6ab6df6';
const inClone = (rev: string) => git('rev-parse', '--verify', '--quiet', `${rev}^{commit}`) !== '';

t.test('a commit from before bin/tandem-node gets a launcher that runs TypeScript', { skip: !inClone(BEFORE_LAUNCHER) && `${BEFORE_LAUNCHER} is not in this clone` }, async (t) => {
  const { checkoutOf, ISSUE_14_BASELINE } = await import('../../../bench/support/checkout');
  t.equal(ISSUE_14_BASELINE, BEFORE_LAUNCHER);
  const got = checkoutOf(ISSUE_14_BASELINE);
  if (!('root' in got)) return t.fail(got.skipped);
  t.equal(git('cat-file', '-t', `${got.commit}:bin/tandem-node`), '', 'the commit itself has no launcher');
  const launcher = join(got.root, 'bin', 'tandem-node');
  t.ok(statSync(launcher).mode & 0o100, 'executable');
  const probe = join(got.root, 'launcher-probe.ts');
  writeFileSync(probe, 'const n: number = 6 * 7;\nprocess.stdout.write(`ran ${n} ${process.argv.slice(2).join(" ")}`);\n');
  const ran = spawnSync(launcher, [probe, 'x', '--y'], { cwd: got.root, encoding: 'utf8' });
  t.equal(ran.stdout, 'ran 42 x --y', ran.stderr);
});

// The commit before the latest change of package-lock.json has another one.
const lockChanged = git('log', '-1', '--format=%H', '--', 'package-lock.json');

t.test('a commit with other dependencies is refused (it would run on the wrong node_modules)', { skip: !(lockChanged && inClone(`${lockChanged}~1`)) && 'no earlier package-lock.json in this clone' }, async (t) => {
  const { checkoutOf } = await import('../../../bench/support/checkout');
  const changed = lockChanged;
  const got = checkoutOf(`${changed}~1`);
  t.match(got, { skipped: /has other dependencies than this checkout/ });
  t.notOk(existsSync(join(cache, 'checkouts', git('rev-parse', `${changed}~1`))), 'nothing extracted');
});
