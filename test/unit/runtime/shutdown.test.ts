// A second SIGTERM ends the process even while a worker thread of Node's pool is held for ever,
// as a Kafka client's close that never returns holds one (lib/runtime/shutdown.ts): the forced
// exit must not go through process.exit(), which waits for that thread.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tandem-shutdown-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('first signal: graceful; second: the process ends by that signal, with a worker thread held', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const file = join(dir, 'child.ts');
  writeFileSync(
    file,
    [
      `import { endBySignal, onShutdownSignals } from ${JSON.stringify(join(ROOT, 'lib/runtime/shutdown'))};`,
      // Opening a FIFO nobody writes holds a pool thread, and the event loop, for ever.
      `require('node:fs').readFile(${JSON.stringify(fifo)}, () => undefined);`,
      "onShutdownSignals((s) => process.stderr.write(`graceful ${s}\\n`), (s) => { process.stderr.write(`forced ${s}\\n`); endBySignal(s); });",
      "process.stderr.write('ready\\n');",
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const saw = (text: string) =>
    new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no "${text}" within 30 s; stderr: ${stderr}`)), 30_000);
      const check = () => stderr.includes(text) && (clearTimeout(timer), done());
      child.stderr.on('data', (c: Buffer) => ((stderr += c.toString()), check()));
      check();
    });
  t.teardown(() => void child.kill('SIGKILL'));
  await saw('ready');
  child.kill('SIGTERM');
  await saw('graceful SIGTERM');
  t.equal(child.exitCode, null, 'the first SIGTERM leaves the process to stop by itself');
  const forcedAt = Date.now();
  child.kill('SIGTERM');
  const timeout = new Promise<'still running'>((done) => setTimeout(() => done('still running'), 10_000).unref());
  const result = await Promise.race([ended, timeout]);
  t.same(result, { code: null, signal: 'SIGTERM' }, `the second SIGTERM ended it by SIGTERM (${Date.now() - forcedAt} ms)`);
  t.match(stderr, /forced SIGTERM/);
});
