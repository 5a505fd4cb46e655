// A finished command's process ends even when something it opened does not let go (a wedged
// librdkafka client in the real case; a listening server, or a worker thread held by a FIFO that
// nobody writes, here): lib/cli/exit.ts.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tandem-exit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a script that finishes with `code` after `before` ran; its exit status and stderr. */
function finish(name: string, before: string, code: number, graceMs: number): { status: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number } {
  const file = join(dir, `${name}.ts`);
  const imports = [
    `import { exitOnceFinished } from ${JSON.stringify(join(ROOT, 'lib/cli/exit'))};`,
    `import { closeWithin, kafkaLeftovers } from ${JSON.stringify(join(ROOT, 'lib/runtime/kafka-leftovers'))};`,
    'void closeWithin, kafkaLeftovers;',
  ].join('\n');
  writeFileSync(file, `${imports}\n(async () => {\n${before}\nexitOnceFinished(${code}, (l) => process.stderr.write(l + '\\n'), ${graceMs});\n})();\n`);
  const startedAt = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: res.status, signal: res.signal, stderr: res.stderr, ms: Date.now() - startedAt };
}

/** A worker thread of Node's pool held for ever, as by a Kafka client's close that never returns: opening a FIFO nobody writes. */
function holdAWorkerThread(): string {
  const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  return `require('node:fs').readFile(${JSON.stringify(fifo)}, () => undefined);`;
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

t.test('a Kafka client left open on purpose (a wedged consumer replaced): the process exits at once with the code', async (t) => {
  const got = finish('left-open', "require('node:net').createServer().listen(0, '127.0.0.1');\nkafkaLeftovers.leftOpen++;", 5, 30_000);
  t.equal(got.status, 5);
  t.equal(got.stderr, '');
  t.ok(got.ms < 20_000, `without waiting for the 30 s grace (${got.ms} ms)`);
});

t.test("a Kafka client's close that never returns: the process ends by SIGTERM, where process.exit() would wait for ever", async (t) => {
  // process.exit() joins the worker thread the close holds: with it, this child would run until spawnSync's timeout kills it.
  const got = finish('stuck-close', `${holdAWorkerThread()}\nawait closeWithin(() => undefined, 200);`, 0, 30_000);
  t.equal(got.signal, 'SIGTERM', `ended by SIGTERM (status ${got.status}, signal ${got.signal}, ${got.ms} ms)`);
  t.match(got.stderr, /a Kafka client's close has not returned \(librdkafka\); Node cannot exit while it runs, so the process ends by SIGTERM instead of exit code 0/);
});
