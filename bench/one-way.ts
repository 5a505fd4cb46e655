// One direction of the bidirectional topology (the same stages, in the same order, and the same
// runtime and MySQL sink as `tandem run bidirectional`), reading the bench's preloaded topics
// `<BENCH_SOURCE_PREFIX>.chat.<table>` instead of Debezium's `a.chat.*` and writing database b
// (TANDEM_DB_B_URL). Run as a child process by bench/topology.ts.
import { loadConfig } from '../lib/config';
import { defineTopology } from '../lib/dsl';
import { createLogger } from '../lib/observe';
import { launch } from '../lib/runtime/launch';
import { carryDeletes, lastWriterWins, originFilter, routeByTable, sameTables } from '../lib/stages';

const prefix = process.env.BENCH_SOURCE_PREFIX ?? 'bt';

const oneWay = defineTopology('bench-one-way', (ctx) => {
  const { config } = ctx;
  const named = (what: string) => ({ name: `${prefix}-to-b.${what}` });
  const topics = [...config.tables.map((t) => t.name), config.tombstoneTable].map((t) => `${prefix}.chat.${t}`);
  ctx.stream(topics, named('source'))
    .filter(originFilter({ replicatorServerIds: [config.serverId] }), named('origin-filter'))
    .process(carryDeletes({ tables: config.tables }), named('carry-deletes'))
    .resolve(lastWriterWins(), named('last-writer-wins'))
    .route(routeByTable({ routes: sameTables(config.tables) }), named('route-by-table'))
    .to(ctx.mysql('b'), named('mysql-b'));
});

async function main(): Promise<number> {
  const logger = createLogger({ component: 'tandem' });
  return launch({ definition: oneWay, config: loadConfig(process.env), logger, tty: false, statusEveryMs: 5000 });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench one-way: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
