// A finished command's process ends even when something it opened does not let go (a wedged
// librdkafka client in the real case; a listening server here): lib/cli/exit.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tandem-exit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a script that finishes with `code` after `before` ran; its exit status and stderr. */
function finish(name: string, before: string, code: number, graceMs: number): { status: number | null; stderr: string } {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `import { exitOnceFinished } from ${JSON.stringify(join(ROOT, 'lib/cli/exit'))};\n${before}\nexitOnceFinished(${code}, (l) => process.stderr.write(l + '\\n'), ${graceMs});\n`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, stderr: res.stderr };
}

t.test('nothing left open: the process ends by itself with the code, and says nothing', async (t) => {
  const got = finish('idle', '', 3, 30_000);
  t.equal(got.status, 3);
  t.equal(got.stderr, '');
});

t.test('something still open after the grace: the process says so and exits with the same code', async (t) => {
  // A listening server keeps Node alive, as a client's threads that never close do.
  const got = finish('held', "require('node:net').createServer().listen(0, '127.0.0.1');", 4, 500);
  t.equal(got.status, 4);
  t.match(got.stderr, /the command finished 1 s ago but the process is still held open \(open in Node: [^;]*TCPServerWrap[^;]*; or threads of a native client/);
  t.match(got.stderr, /a Kafka client that did not close .*\); exiting\n$/);
});
