import t from 'tap';
import { defineTopology, describeAsJson, providedSink, renderMermaid, TopologyBuilder } from '../../../lib/dsl';
import { loadConfig } from '../../../lib/config';

const config = loadConfig({});
const resources = { config };

t.test('unnamed nodes get Kafka Streams style generated names; given names are kept', async (t) => {
  const b = new TopologyBuilder('demo');
  b.stream('a.chat.messages')
    .filter((e) => e.op !== 'd')
    .map((e) => e, { name: 'identity' })
    .peek(() => undefined)
    .to(providedSink('out'));
  const topology = b.build();
  t.same(topology.nodes.map((n) => n.name), ['KSTREAM-SOURCE-0000000001', 'KSTREAM-FILTER-0000000002', 'identity', 'KSTREAM-PEEK-0000000004', 'out']);
  t.same(topology.node('identity').parents, ['KSTREAM-FILTER-0000000002']);
  t.same(topology.node('identity').children, ['KSTREAM-PEEK-0000000004']);
});

t.test('names are stable: building twice gives the same graph', async (t) => {
  const def = defineTopology('twice', (ctx) => {
    ctx.stream(/a\.chat\..*/).filter(() => true).to(ctx.mysql('b'));
  });
  t.same(def.build(resources).nodes.map((n) => n.name), def.build(resources).nodes.map((n) => n.name));
});

t.test('a stage may carry its own name; the DSL name wins; a clash falls back to a generated name', async (t) => {
  const stage = { kind: 'noop', name: 'my-stage', process: (events: readonly unknown[]) => [...events] as never };
  const b = new TopologyBuilder('named');
  const s = b.stream('x');
  s.process(stage).to(providedSink('one'));
  s.process(stage).to(providedSink('two'));
  s.process(stage, { name: 'explicit' }).to(providedSink('three'));
  t.same(b.build().nodes.filter((n) => n.type === 'processor').map((n) => n.name), ['my-stage', 'KSTREAM-PROCESSOR-0000000004', 'explicit']);
});

t.test('mistakes are refused with what to fix', async (t) => {
  const dangling = new TopologyBuilder('dangling');
  dangling.stream('x', { name: 'src' }).filter(() => true, { name: 'f' });
  t.throws(() => dangling.build(), /f lead\(s\) nowhere; end every stream with \.to\(sink\)/);
  const twice = new TopologyBuilder('twice');
  twice.stream('x', { name: 'same' });
  t.throws(() => twice.stream('y', { name: 'same' }), /node name "same" is used twice/);
  t.throws(() => twice.stream('x'), /topic x is already read by source same/);
  t.throws(() => twice.stream([]), /needs at least one topic/);
  t.throws(() => new TopologyBuilder('empty').build(), /has no streams/);
  t.throws(() => twice.stream('z').branch([() => true], { branches: ['a', 'b'] }), /1 predicates but 2 branch names/);
});

t.test('sourceFor matches whole topic names, strings and patterns', async (t) => {
  const b = new TopologyBuilder('topics');
  b.stream(['a.chat.rooms', /b\.chat\..*/], { name: 'src' }).to(providedSink('out'));
  const topology = b.build();
  t.equal(topology.sourceFor('a.chat.rooms')?.name, 'src');
  t.equal(topology.sourceFor('b.chat.messages')?.name, 'src');
  t.equal(topology.sourceFor('xb.chat.messages'), undefined);
  t.equal(topology.sourceFor('a.chat.rooms2'), undefined);
});

t.test('describe() prints sources, stages and sinks with their links', async (t) => {
  const b = new TopologyBuilder('small');
  const [messages, rest] = b
    .stream(['a.chat.messages', 'a.chat.rooms'], { name: 'changes' })
    .filter((e) => e.op !== 'r', { name: 'no-snapshots' })
    .branch([(e) => e.source.table === 'messages', () => true], { name: 'split', branches: ['messages', 'rest'] });
  messages.to(providedSink('message-sink'));
  rest.to(providedSink('rest-sink'));
  const text = b.build().describe().toString();
  t.equal(
    text,
    [
      'Topology: small',
      '  Sub-topology: 0',
      '    Source: changes (topics: [a.chat.messages, a.chat.rooms])',
      '      --> no-snapshots',
      '    Processor: no-snapshots (filter)',
      '      --> split',
      '      <-- changes',
      '    Branch: split (2 branch(es), first match wins)',
      '      --> messages, rest',
      '      <-- no-snapshots',
      '    Processor: messages (branch-child)',
      '      --> message-sink',
      '      <-- split',
      '    Processor: rest (branch-child)',
      '      --> rest-sink',
      '      <-- split',
      '    Sink: message-sink (provided by the caller)',
      '      <-- messages',
      '    Sink: rest-sink (provided by the caller)',
      '      <-- rest',
      '',
    ].join('\n'),
  );
  const data = b.build().describe();
  t.equal(data.subtopologies.length, 1);
  t.same(data.subtopologies[0].nodes[0], { type: 'source', name: 'changes', detail: 'topics: [a.chat.messages, a.chat.rooms]', predecessors: [], successors: ['no-snapshots'] });
});

t.test('the Mermaid and JSON renderers draw the same description', async (t) => {
  const b = new TopologyBuilder('small');
  const [quoted, rest] = b
    .stream(/a\.chat\..*/, { name: 'changes' })
    .filter((e) => e.op !== 'r', { name: 'say "no" <to> snapshots' })
    .branch([(e) => e.source.table === 'messages', () => true], { name: 'split', branches: ['messages', 'rest'] });
  quoted.to(providedSink('message-sink'));
  rest.to(providedSink('rest-sink'));
  const description = b.build().describe();
  t.equal(
    renderMermaid(description),
    [
      'flowchart LR',
      '  %% Topology: small',
      '  subgraph s0["Sub-topology 0"]',
      '    n0[/"changes<br/>topics: [/a\\.chat\\..*/]"/]',
      '    n1["say #quot;no#quot; #lt;to#gt; snapshots<br/>filter"]',
      '    n2{{"split<br/>2 branch(es), first match wins"}}',
      '    n3["messages<br/>branch-child"]',
      '    n4["rest<br/>branch-child"]',
      '    n5[("message-sink<br/>provided by the caller")]',
      '    n6[("rest-sink<br/>provided by the caller")]',
      '  end',
      '  n0 --> n1',
      '  n1 --> n2',
      '  n2 --> n3',
      '  n2 --> n4',
      '  n3 --> n5',
      '  n4 --> n6',
      '',
    ].join('\n'),
  );
  const data = JSON.parse(describeAsJson(description)) as unknown;
  t.same(data, { name: 'small', subtopologies: description.subtopologies }, 'the data itself, nothing lost');
});

t.test('unconnected streams are separate sub-topologies', async (t) => {
  const b = new TopologyBuilder('two');
  b.stream('x', { name: 'x' }).to(providedSink('sx'));
  b.stream('y', { name: 'y' }).to(providedSink('sy'));
  const subs = b.build().describe().subtopologies;
  t.same(subs.map((s) => s.nodes.map((n) => n.name)), [['x', 'sx'], ['y', 'sy']]);
});

t.test('a sink is a description: ctx.mysql gives plain data with the config as defaults; describe prints it', async (t) => {
  const def = defineTopology('sinks', (ctx) => {
    ctx.stream('a.chat.rooms', { name: 'rooms' }).to(ctx.mysql('b'));
    ctx.stream('a.chat.messages', { name: 'messages' }).to(ctx.mysql('b', { name: 'fast-b', batchRows: 10, lingerMs: 1 }));
  });
  const topology = def.build(resources);
  t.same(topology.sinks.map((n) => n.sink), [
    { kind: 'mysql', name: 'mysql-b', db: 'b', batchRows: config.batchRows, lingerMs: config.lingerMs, connections: config.sinkConnections },
    { kind: 'mysql', name: 'fast-b', db: 'b', batchRows: 10, lingerMs: 1, connections: 4 },
  ]);
  t.same(JSON.parse(JSON.stringify(topology.sinks.map((n) => n.sink))), topology.sinks.map((n) => n.sink), 'nothing but data');
  t.same(topology.describe().subtopologies[1].nodes[1].detail, 'mysql sink → b, batches of 10 rows or 1 ms, 4 connections');
  t.throws(() => defineTopology('c', (ctx) => ctx.stream('x').to(ctx.mysql('c'))).build(resources), { kind: 'fatal', message: 'topology asks for database "c", which is not configured' });
});

t.test('one name, one sink: two different sinks under one name are refused', async (t) => {
  const b = new TopologyBuilder('clash');
  b.stream('x').to(providedSink('out'));
  b.stream('y').to({ kind: 'mysql', name: 'out', db: 'b', batchRows: 1, lingerMs: 1, connections: 1 });
  t.throws(() => b.build(), /two different sinks are named "out"/);
  const same = new TopologyBuilder('shared');
  same.stream('x').to(providedSink('out'));
  same.stream('y').to(providedSink('out'));
  t.equal(same.build().sinks.length, 2, 'the same description twice is one sink ending two streams');
});
