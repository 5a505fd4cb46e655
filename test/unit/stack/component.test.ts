import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { diedWhileWaiting } from '../../../lib/stack/component';

t.test('a daemon being started counts as alive before its command line shows the marker, and as exited once it is gone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-daemon-'));
  // `sleep` never carries the marker: like a child between spawn() and its exec() of java.
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  const handle = { pidFile: join(dir, 'x.pid'), marker: '-Dtandem.stack=/nowhere', logFile: join(dir, 'x.log') };
  writeFileSync(handle.pidFile, `${child.pid}\n`);
  const died = diedWhileWaiting(handle);
  t.equal(died(), undefined, 'alive: not reported as exited');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  t.equal(died(), 'the process exited');
});
