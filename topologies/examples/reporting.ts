import { defineTopology } from '../../lib/dsl';
import { carryDeletes, keepRowsWhere, lastWriterWins, routeByTable } from '../../lib/stages';

// One way, a → b, where b is a reporting database: every room, and the messages that carry a tip,
// with `body` renamed to `text` and the client-side `meta` left out. Deletes arrive as Tandem's
// tombstone rows on a. Built step by step in docs/writing-topologies.md.
export default defineTopology('reporting', (ctx) => {
  ctx.stream(['a.chat.rooms', 'a.chat.messages', 'a.chat.tandem_tombstones'], { name: 'a-changes' })
    .process(carryDeletes({ tables: ctx.tables }), { name: 'carry-deletes' })
    .process(keepRowsWhere({ messages: (row) => row.tip !== null }), { name: 'tipped-messages' })
    .resolve(lastWriterWins(), { name: 'last-writer-wins' })
    .route(routeByTable({ routes: { rooms: true, messages: { rename: { body: 'text' }, drop: ['meta'] } } }), { name: 'to-reporting' })
    .to(ctx.mysql('b', { name: 'reporting' }));
});
