import { topicsOf } from '../lib/config';
import { defineTopology } from '../lib/dsl';
import { carryDeletes, lastWriterWins, originFilter, routeByTable, schemaChanges } from '../lib/stages';

// Two-way sync of the chat databases: for each direction X → Y, keep only writes born on X (not
// Tandem's echoes), let the schema changes of synced tables through (TANDEM_DDL), turn X's
// tombstones into deletes, collapse each batch per row to the LWW winner, route every synced table
// to the same table on Y, and write Y through its LWW-guarded sink (which replays the DDL in place).
export default defineTopology('bidirectional', (ctx) => {
  const { config, tables } = ctx;
  for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
    const named = (what: string) => ({ name: `${from}-to-${to}.${what}` });
    ctx.stream(topicsOf(config, from), named('source'))
      .filter(originFilter({ replicatorServerIds: [config.serverId] }), named('origin-filter'))
      .process(schemaChanges({ mode: config.ddl, synced: (table) => tables.all || tables.has(table) }), named('schema-changes'))
      .process(carryDeletes({ tables }), named('carry-deletes'))
      .resolve(lastWriterWins(), named('last-writer-wins'))
      .route(routeByTable({ routes: {}, same: tables }), named('route-by-table'))
      .to(ctx.mysql(to), named(`mysql-${to}`));
  }
});
