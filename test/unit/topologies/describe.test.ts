import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// `make describe TOPOLOGY=bidirectional` runs exactly this command.
const root = resolve(__dirname, '../../..');
const describe = (name: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'describe', name], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

t.test('prints the bidirectional graph', async (t) => {
  const run = describe('bidirectional', { TANDEM_DB_B_URL: 'mysql://tandem:secret@db-b:3306/chat' });
  t.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  t.equal(lines[0], 'Topology: bidirectional');
  t.ok(lines.includes('    Source: a-to-b.source (topics: [a.chat.rooms, a.chat.members, a.chat.messages, a.chat.tandem_tombstones, a])'));
  t.ok(lines.includes('    Processor: a-to-b.schema-changes (schema-changes: schema changes of synced tables cross (TANDEM_DDL=all))'), 'the DDL stage');
  t.ok(lines.includes('    Processor: b-to-a.origin-filter (origin-filter: drops events written by server id 4100)'));
  t.ok(lines.includes('    Sink: a-to-b.mysql-b (mysql sink → b, batches of up to 1000 rows, flushed at once, 4 connections)'), 'the sink as the graph describes it');
  t.ok(lines.includes('    Processor: a-to-b.route-by-table (route-by-table: synced tables (rooms, members, messages) to the table of the same name; unrouted → dead letters)'), 'the routes');
  t.notMatch(run.stdout, /secret/);
});

t.test('TANDEM_TABLES=*: topics by pattern, every synced table routed to itself', async (t) => {
  const run = describe('bidirectional', { TANDEM_TABLES: '*' });
  t.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  t.ok(lines.includes('    Source: b-to-a.source (topics: [/^b\\.chat\\.[^.]+$/, b])'), run.stdout);
  t.ok(lines.includes('    Processor: b-to-a.route-by-table (route-by-table: every table Tandem syncs (TANDEM_TABLES=*) to the table of the same name; a table not synced yet joins at its first row, when both sides have it)'));
});

t.test('a topology in a folder: make describe TOPOLOGY=examples/reporting', async (t) => {
  const run = describe('examples/reporting', { TANDEM_TABLES: 'rooms,messages', TANDEM_DB_B_URL: 'mysql://tandem:tandem@127.0.0.1:3308/reporting' });
  t.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  t.equal(lines[0], 'Topology: reporting');
  t.ok(lines.includes('    Processor: tipped-messages (keep-rows-where: messages: the rows a predicate accepts; an update that leaves them becomes a delete)'));
  t.ok(lines.includes('    Processor: to-reporting (route-by-table: rooms, messages (body→text, drops meta); unrouted → dead letters)'), 'the route, with its rename and drop');
  t.ok(lines.includes('    Sink: reporting (mysql sink → b, batches of up to 1000 rows, flushed at once, 4 connections)'));
});

t.test('bad config and unknown topologies fail with what to fix', async (t) => {
  const bad = describe('bidirectional', { TANDEM_BATCH_ROWS: 'abc' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /TANDEM_BATCH_ROWS must be a positive integer, got "abc"/);
  const missing = describe('nope');
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no topology "nope" in .*topologies \(have: .*bidirectional.*\)/);
  const escaping = describe('../Makefile');
  t.equal(escaping.status, 1);
  t.match(escaping.stderr, /no topology "\.\.\/Makefile" in .*topologies \(a name is a path under it without \.ts.*\(have: .*examples\/reporting.*\)/);
});

t.test("the README's picture of bidirectional is what describe --format mermaid prints", async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'describe', 'bidirectional', '--format', 'mermaid'], { cwd: root, encoding: 'utf8', env: { ...process.env, TANDEM_TABLES: '', TANDEM_BATCH_ROWS: '', TANDEM_LINGER_MS: '', TANDEM_DDL: '' } });
  t.equal(run.status, 0, run.stderr);
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
  t.equal(block, run.stdout.endsWith('\n') ? run.stdout : `${run.stdout}\n`, 'regenerate it with make describe TOPOLOGY=bidirectional FORMAT=mermaid');
});
