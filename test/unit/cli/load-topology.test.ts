import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology, topologyNames } from '../../../lib/cli/load-topology';
import { TandemError } from '../../../lib/errors';

// `make run TOPOLOGY=...` and `make describe TOPOLOGY=...` name a file under topologies/, in a
// folder or not; no name reaches a file outside it.

t.test('a topology in a folder of topologies/ loads by its path', async (t) => {
  const def = await loadTopology('examples/reporting');
  t.equal(def.name, 'reporting');
  t.equal((await loadTopology('bidirectional')).name, 'bidirectional');
  t.ok(topologyNames().includes('examples/reporting'), 'listed with its folder');
  t.ok(topologyNames().includes('bidirectional'));
});

t.test('no name escapes the topology directory', async (t) => {
  // A directory with a valid topology beside it (outside.ts), which no name may reach.
  const root = mkdtempSync(join(tmpdir(), 'tandem-topologies-'));
  const dir = join(root, 'topologies');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const body = "import { defineTopology } from '" + join(__dirname, '../../../lib/dsl') + "';\nexport default defineTopology('x', () => undefined);\n";
  writeFileSync(join(root, 'outside.ts'), body);
  writeFileSync(join(dir, 'sub', 'inside.ts'), body);
  for (const name of ['../outside', 'sub/../../outside', `${root}/outside`, '/etc/passwd', 'sub/', './sub/inside', 'sub\\inside', 'sub//inside', '']) {
    await t.rejects(loadTopology(name, dir), { message: new RegExp(`^no topology "${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" in .*\\(a name is a path under it without \\.ts.*\\(have: sub/inside\\)$`) }, `refuses ${JSON.stringify(name)}`);
  }
  await t.rejects(loadTopology('sub/missing', dir), { message: /^no topology "sub\/missing" in .* \(have: sub\/inside\)$/ });
  t.equal((await loadTopology('sub/inside', dir)).name, 'x');
  const err = await loadTopology('../outside', dir).catch((e: unknown) => e);
  t.ok(err instanceof TandemError && err.kind === 'fatal', 'a fatal TandemError: the command stops and says why');
});
