import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadStackConfig } from '../../../lib/stack/config';
import { CLAIM_GRACE_MS, portsClaimedByOthers, releaseClaim, writeClaim } from '../../../lib/stack/port-claims';
import { osFreePort } from '../../../lib/stack/ports';
import { freePortEnv } from '../../../lib/stack/stack';

function cache(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-claims-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const stack = (cacheDir: string, name: string) => ({ cacheDir, stateDir: join(cacheDir, name) });
const never = () => false;

t.test("a stack sees another stack's claimed ports, not its own", async (t) => {
  const dir = cache(t);
  const soak = stack(dir, 'state-soak');
  writeClaim(soak, { ...loadStackConfig({}).ports, dbB: 41308 });
  t.equal(portsClaimedByOthers(stack(dir, 'state-test'), never).get(41308), soak.stateDir, 'another stack sees the port and whose it is');
  t.equal(portsClaimedByOthers(soak, never).size, 0, 'a stack does not avoid its own ports');
  releaseClaim(soak);
  t.equal(portsClaimedByOthers(stack(dir, 'state-test'), never).size, 0, 'stack-down releases them');
});

t.test('an old claim holds while its stack runs, and is removed once it does not', async (t) => {
  const dir = cache(t);
  const old = stack(dir, 'state-old');
  const now = Date.now();
  writeClaim(old, loadStackConfig({}).ports, now - CLAIM_GRACE_MS - 1);
  const other = stack(dir, 'state-test');
  t.equal(portsClaimedByOthers(other, (d) => d === old.stateDir, now).size, 7, 'running: all 7 ports held');
  t.equal(portsClaimedByOthers(other, never, now).size, 0, 'not running and old: not held');
  t.same(readdirSync(join(dir, 'port-claims')), [], 'and its file is gone');
  writeClaim(old, loadStackConfig({}).ports, now - 1000);
  t.equal(portsClaimedByOthers(other, never, now).size, 7, 'recent (ports chosen, servers not up yet): held');
});

t.test('a claim file that cannot be read is removed', async (t) => {
  const dir = cache(t);
  writeClaim(stack(dir, 'state-x'), loadStackConfig({}).ports);
  writeFileSync(join(dir, 'port-claims', 'broken.json'), '{"stateDir":');
  t.equal(portsClaimedByOthers(stack(dir, 'state-test'), never).size, 7);
  t.same(readdirSync(join(dir, 'port-claims')).filter((n) => n === 'broken.json'), []);
});

// The soak's db-b was down 3 minutes on a port it had been given free; a make test started then
// chose that same port for its own db-b.
t.test('env --free-ports does not choose a free port that another stack claims', async (t) => {
  const dir = cache(t);
  const port = await osFreePort(new Set());
  const base = { TANDEM_CACHE_DIR: dir, TANDEM_STATE_DIR: join(dir, 'state-test'), TANDEM_DB_B_PORT: String(port) };
  const unclaimed = await freePortEnv(base);
  t.equal(unclaimed.TANDEM_DB_B_PORT, String(port), 'the wanted port, free and unclaimed, is kept');
  writeClaim(stack(dir, 'state-soak'), { ...loadStackConfig({}).ports, dbB: port });
  const chosen = await freePortEnv(base);
  t.not(chosen.TANDEM_DB_B_PORT, String(port), 'claimed by the soak: another port');
  t.equal(portsClaimedByOthers(stack(dir, 'state-soak'), never).get(Number(chosen.TANDEM_DB_B_PORT)), base.TANDEM_STATE_DIR, 'and the choice is claimed at once');
});
