// One direction of the bidirectional topology (the same stages, in the same order, and the same
// runtime and MySQL sink as `tandem run bidirectional`), reading the bench's preloaded topics
// `<BENCH_SOURCE_PREFIX>.chat.<table>` instead of Debezium's `a.chat.*` and writing database b
// (TANDEM_DB_B_URL). Run as a child process by bench/topology.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { loadConfig } from '../lib/config';
import { defineTopology } from '../lib/dsl';
import { createLogger } from '../lib/observe';
import { launch } from '../lib/runtime/launch';
import { carryDeletes, lastWriterWins, originFilter, routeByTable, sameTables } from '../lib/stages';
import { LOG_DIR } from './support/processes';

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

/**
 * BENCH_ALLOC_PROF=1: where the drain allocates, short-lived objects included (what the garbage
 * collector's share of the CPU profile is made of). `--heap-prof` keeps only what is still alive
 * at the end. Written as a .heapprofile beside the CPU profiles.
 */
async function profilingAllocations<T>(run: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_ALLOC_PROF) return run();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  try {
    return await run();
  } finally {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(join(LOG_DIR, `alloc-${prefix}-${process.pid}.heapprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<number> {
  const logger = createLogger({ component: 'tandem' });
  return profilingAllocations(() => launch({ definition: oneWay, config: loadConfig(process.env), logger, tty: false, statusEveryMs: 5000 }));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench one-way: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
