import t from 'tap';
import { defineTopology } from '../../../lib/dsl';
import { originFilter, routeByTable } from '../../../lib/stages';
import { at, changeEvent, TopologyTestDriver } from '../../../lib/testing';

// The user-written topology of docs/dsl.md, kept here so the example stays true.
const messagesToB = defineTopology('messages-to-b', (ctx) => {
  ctx.stream('a.chat.messages', { name: 'a-messages' })
    .filter(originFilter({ replicatorServerIds: [ctx.config.serverId] }), { name: 'not-ours' })
    .filter((e) => e.op !== 'd', { name: 'no-deletes' })
    .map((e) => ({ ...e, after: e.after && { ...e.after, body: String(e.after.body).trim() } }), { name: 'trim-body' })
    .route(routeByTable({ routes: { messages: { drop: ['meta'] } } }), { name: 'route' })
    .to(ctx.mysql('b'), { name: 'b' });
});

t.test('the docs/dsl.md example runs on the test driver', async (t) => {
  const driver = new TopologyTestDriver(messagesToB);
  const row = { id: 1, room_id: 1, author_id: 7, body: '  hello ', meta: '{}', updated_at: at('2026-01-01 00:00:01') };
  await driver.createInputTopic('a.chat.messages').pipeInput([
    changeEvent({ table: 'messages', after: row }),
    changeEvent({ table: 'messages', after: { ...row, id: 2 }, serverId: 4100 }),
    changeEvent({ table: 'messages', op: 'd', before: { ...row, id: 3 } }),
  ]);
  t.same(driver.database('b').rows('messages'), [{ id: 1, room_id: 1, author_id: 7, body: 'hello', updated_at: at('2026-01-01 00:00:01') }]);
  t.same(driver.counters['not-ours'], { in: 3, out: 2, deadLettered: 0, echoesSuppressed: 1 });
  t.same(driver.counters['no-deletes'], { in: 2, out: 1, deadLettered: 0 });
  t.equal(
    driver.topology.describe().toString().split('\n').filter((l) => /^    \S/.test(l)).join('\n'),
    [
      '    Source: a-messages (topics: [a.chat.messages])',
      '    Processor: not-ours (origin-filter: drops events written by server id 4100)',
      '    Processor: no-deletes (filter)',
      '    Processor: trim-body (map)',
      '    Processor: route (route-by-table: messages (drops meta); unrouted → dead letters)',
      '    Sink: b (mysql sink → b, batches of up to 1000 rows, flushed at once, 4 connections)',
    ].join('\n'),
  );
});
