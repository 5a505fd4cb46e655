import t from 'tap';
import bidirectional from '../../../topologies/bidirectional';
import { loadConfig, SyncedTables } from '../../../lib/config';
import { Executor } from '../../../lib/executor';
import { createLogger } from '../../../lib/observe';
import { DslPipeline } from '../../../lib/runtime';
import { mysqlExecutor, writtenDatabases } from '../../../lib/runtime/mysql-topology';
import { TopologyTestDriver } from '../../../lib/testing';
import { defineTopology, filterStage } from '../../../lib/dsl';
import { originFilter } from '../../../lib/stages';

const config = loadConfig({ TANDEM_BATCH_ROWS: '250', TANDEM_LINGER_MS: '7', TANDEM_DB_B_URL: 'mysql://tandem:secret@db-b:3306/chat' });

t.test("describe() of bidirectional names the sinks' real settings, and building it makes no sink", async (t) => {
  const topology = bidirectional.build({ config });
  t.same(
    topology.sinks.map((n) => [n.name, n.sink]),
    [
      ['a-to-b.mysql-b', { kind: 'mysql', name: 'mysql-b', db: 'b', batchRows: 250, lingerMs: 7, connections: 4 }],
      ['b-to-a.mysql-a', { kind: 'mysql', name: 'mysql-a', db: 'a', batchRows: 250, lingerMs: 7, connections: 4 }],
    ],
  );
  t.same(JSON.parse(JSON.stringify(topology.sinks)), topology.sinks, 'sink nodes are plain data: nothing live was made');
  const sinkLines = topology.describe().toString().split('\n').filter((l) => l.startsWith('    Sink:'));
  t.same(sinkLines, ['    Sink: a-to-b.mysql-b (mysql sink → b, batches of 250 rows or 7 ms, 4 connections)', '    Sink: b-to-a.mysql-a (mysql sink → a, batches of 250 rows or 7 ms, 4 connections)']);
});

t.test('the runtime makes each MySQL sink from its description, with the settings describe() printed', async (t) => {
  const lines: string[] = [];
  const executor = mysqlExecutor(bidirectional, config, new SyncedTables(config.tables), createLogger({ json: true, write: (l) => lines.push(l) }));
  t.teardown(() => executor.close());
  t.same([...executor.sinks.keys()], ['mysql-b', 'mysql-a'], 'one sink per description');
  t.same(writtenDatabases(executor), ['b', 'a']);
  const b = executor.sinks.get('mysql-b');
  t.match(b?.describe(), /^mysql sink → mysql:\/\/tandem:\*\*\*@db-b:3306\/chat tables \[.*\] maxRows=250 lingerMs=7 connections=4 /);
  t.same(lines, [], 'made, not connected');
});

t.test('the test driver and the runtime run one executor', async (t) => {
  const driver = new TopologyTestDriver(bidirectional);
  t.ok(driver.executor instanceof Executor, "the driver's executor is the runtime's class");
  t.equal(driver.executor.topology, driver.topology);
  t.same([...driver.executor.sinks.keys()], ['mysql-b', 'mysql-a'], 'the same sink descriptions, made in-memory databases');
  const pipeline = new DslPipeline(driver.executor);
  t.same(pipeline.sources.map((s) => s.name), ['a-to-b.source', 'b-to-a.source'], 'the runtime pipeline takes the driver executor as it is');
});

t.test('a source whose only first stage is the origin filter names its server ids to the runtime; a fan-out or another first stage does not', async (t) => {
  const pipeline = new DslPipeline(new TopologyTestDriver(bidirectional).executor);
  t.same(pipeline.sources.map((s) => [s.name, [...(s.dropsServerIds ?? [])]]), [['a-to-b.source', [config.serverId]], ['b-to-a.source', [config.serverId]]]);
  const shapes = defineTopology('shapes', (ctx) => {
    const fanned = ctx.stream(['x.chat.t'], { name: 'fanned' });
    fanned.filter(originFilter({ replicatorServerIds: [4100] }), { name: 'fanned.origin' }).to(ctx.mysql('b'), { name: 'fanned.b' });
    fanned.to(ctx.mysql('a'), { name: 'fanned.a' });
    ctx.stream(['y.chat.t'], { name: 'later' })
      .filter(filterStage(() => true), { name: 'later.all' })
      .filter(originFilter({ replicatorServerIds: [4100] }), { name: 'later.origin' })
      .to(ctx.mysql('b'), { name: 'later.b' });
  });
  const other = new DslPipeline(new TopologyTestDriver(shapes).executor);
  t.same(other.sources.map((s) => [s.name, s.dropsServerIds]), [['fanned', undefined], ['later', undefined]]);
});
