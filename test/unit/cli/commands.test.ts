// Every `tandem` command through bin/tandem (the package's bin, what the Makefile runs): `--help`
// prints its usage with its exit codes (exit 0), a bad argument is refused with what is wrong and
// the usage (exit 2), and nothing connects anywhere to find that out.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import t from 'tap';
import { parseDescribeArgs } from '../../../lib/cli/describe';
import { parseDlqArgs } from '../../../lib/cli/dlq';

const root = resolve(__dirname, '../../..');
// From another directory: the launcher finds its own tree.
const tandem = (args: string[]) => spawnSync(resolve(root, 'bin/tandem'), args, { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, TANDEM_BROKERS: '127.0.0.1:1' }, timeout: 60_000 });

const badArguments: Record<string, { args: string[]; error: RegExp }> = {
  run: { args: ['run', 'bidirectional', 'extra'], error: /^tandem run: unexpected argument extra\n/ },
  describe: { args: ['describe', 'bidirectional', '--format', 'svg'], error: /^tandem describe: --format must be one of text, mermaid, json, not svg\n/ },
  setup: { args: ['setup', '--tables'], error: /^tandem setup: --tables needs a value\n/ },
  teardown: { args: ['teardown', '--bogus'], error: /^tandem teardown: unknown option --bogus/ },
  verify: { args: ['verify', '--chunk-rows', '0'], error: /^tandem verify: --chunk-rows must be ≥ 1/ },
  doctor: { args: ['doctor', '--yaml'], error: /^tandem doctor: unknown argument --yaml\n/ },
  dlq: { args: ['dlq', 'replay'], error: /^tandem dlq: which dead letters\? \(positions as dlq list prints them, or --all\)\n/ },
  stack: { args: ['stack', 'sideways'], error: /^tandem stack: unknown argument sideways\n/ },
  workload: { args: ['workload', '--rate', '-1'], error: /^tandem workload: --rate needs a non-negative integer\n/ },
};

t.test('tandem --help lists every command; no command or an unknown one is a usage error', async (t) => {
  const help = tandem(['--help']);
  t.equal(help.status, 0, help.stderr);
  for (const name of Object.keys(badArguments)) t.match(help.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `lists ${name}`);
  t.match(help.stdout, /^exit: 0 done, 1 .*, 2 bad arguments$/m);
  const none = tandem([]);
  t.equal(none.status, 2);
  t.match(none.stderr, /^usage: tandem <command>/);
  const unknown = tandem(['frobnicate']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /^tandem: unknown command frobnicate\n/);
});

for (const [name, bad] of Object.entries(badArguments)) {
  t.test(`tandem ${name}: --help, then a bad argument`, async (t) => {
    const help = tandem([name, '--help']);
    t.equal(help.status, 0, help.stderr);
    t.match(help.stdout, new RegExp(`^usage: tandem ${name}\\b`), 'the usage on stdout');
    t.match(help.stdout, /\n  exit: 0 /, 'with its exit codes');
    t.equal(help.stderr, '');
    t.same(tandem(['help', name]).stdout, help.stdout, 'tandem help <command> says the same');
    const run = tandem(bad.args);
    t.equal(run.status, 2, run.stderr);
    t.match(run.stderr, bad.error);
    t.equal(run.stdout, '', 'nothing on stdout');
  });
}

t.test('tandem describe --format mermaid and json: the same graph as the text', async (t) => {
  const text = tandem(['describe', 'bidirectional']);
  const mermaid = tandem(['describe', 'bidirectional', '--format', 'mermaid']);
  const json = tandem(['describe', '--format=json', 'bidirectional']);
  for (const r of [text, mermaid, json]) t.equal(r.status, 0, r.stderr);
  t.match(mermaid.stdout, /^flowchart LR\n  %% Topology: bidirectional\n  subgraph s0\["Sub-topology 0"\]\n    n0\[\/"a-to-b\.source<br\/>topics: \[a\.chat\.rooms, /);
  const data = JSON.parse(json.stdout) as { name: string; subtopologies: { nodes: { name: string; successors: string[] }[] }[] };
  t.equal(data.name, 'bidirectional');
  const names = data.subtopologies.flatMap((s) => s.nodes.map((n) => n.name));
  t.same(names, [...text.stdout.matchAll(/^    \w+: (\S+) /gm)].map((m) => m[1]), 'the nodes of the text, in its order');
  t.equal(mermaid.stdout.split('\n').filter((l) => / --> /.test(l)).length, data.subtopologies.flatMap((s) => s.nodes).reduce((n, x) => n + x.successors.length, 0), 'an arrow per link');
});

t.test('dlq arguments', async (t) => {
  t.same(parseDlqArgs(['list']), { command: 'list', json: false });
  t.same(parseDlqArgs(['list', '--limit', '5', '--json']), { command: 'list', json: true, limit: 5 });
  t.same(parseDlqArgs(['show', '2:17']), { command: 'show', position: { partition: 2, offset: 17n }, json: false });
  t.same(parseDlqArgs(['replay', '3', '0:4', '--topology=mine']), { command: 'replay', positions: [{ partition: 0, offset: 3n }, { partition: 0, offset: 4n }], topology: 'mine', json: false });
  t.same(parseDlqArgs(['replay', '--all', '--json']), { command: 'replay', positions: 'all', topology: 'bidirectional', json: true });
  t.equal(parseDlqArgs([]), 'which command? (list, show or replay)');
  t.equal(parseDlqArgs(['purge']), 'unknown command purge (list, show or replay)');
  t.equal(parseDlqArgs(['list', '--limit', '0']), '--limit needs a whole number ≥ 1');
  t.equal(parseDlqArgs(['list', '7']), 'dlq list takes no position (got 7); dlq show <position> shows one');
  t.equal(parseDlqArgs(['show']), 'dlq show takes one position (got 0)');
  t.equal(parseDlqArgs(['show', '1', '2']), 'dlq show takes one position (got 2)');
  t.equal(parseDlqArgs(['show', 'a.chat.rooms@3']), 'a.chat.rooms@3 is not a dead-letter position (an offset, or <partition>:<offset>, as tandem dlq list prints them)');
  t.equal(parseDlqArgs(['replay', '1', '--all']), 'give positions or --all, not both');
  t.equal(parseDlqArgs(['replay', '--all', '--limit', '3']), 'unknown option --limit for dlq replay');
  t.equal(parseDlqArgs(['replay', '--all', '--topology']), '--topology needs a name (a file topologies/<name>.ts)');
  // Database URLs come from the environment or TANDEM_CONFIG: there is no flag to pass one.
  t.equal(parseDlqArgs(['replay', '--all', '--b', 'mysql://u:pw@h/chat']), 'unknown option --b for dlq replay');
});

t.test('describe arguments', async (t) => {
  t.same(parseDescribeArgs(['bidirectional']), { name: 'bidirectional', format: 'text' });
  t.same(parseDescribeArgs(['--format', 'json', 'x']), { name: 'x', format: 'json' });
  t.equal(parseDescribeArgs([]), 'which topology? (a file topologies/<name>.ts)');
  t.equal(parseDescribeArgs(['a', 'b']), 'one topology at a time (got a and b)');
  t.equal(parseDescribeArgs(['a', '--format']), '--format must be one of text, mermaid, json');
  t.equal(parseDescribeArgs(['a', '--verbose']), 'unknown option --verbose');
});
