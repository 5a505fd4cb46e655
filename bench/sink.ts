// make bench-sink: rows/s of the Tandem sink (LWW guard, tombstone check, triggers installed)
// against the fastest plain mysql2 multi-row INSERT ... ON DUPLICATE KEY UPDATE loop on the
// same table shape and data (the ceiling), measured in the same run, fresh inserts then updates.
import { createConnection, type Connection } from 'mysql2/promise';
import { testRetryPolicy } from '../lib/errors';
import { LocalDateTime, Decimal, type ChangeEvent } from '../lib/model';
import { createLogger } from '../lib/observe';
import { installOriginSupport, mysqlSink } from '../lib/sink';
import { startMariaDb } from '../lib/stack/mariadb';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COLS = ['id', 'room_id', 'author', 'body', 'score', 'updated_at'];

const ddl = (name: string) =>
  `CREATE TABLE ${name} (id BIGINT PRIMARY KEY, room_id INT NOT NULL, author VARCHAR(64) NOT NULL, body VARCHAR(255) NOT NULL, ` +
  'score DECIMAL(12,2) NOT NULL, updated_at DATETIME(6) NOT NULL, KEY (room_id))';

function rowAt(i: number, version: number): { values: (string | number)[]; at: LocalDateTime } {
  const at = new LocalDateTime(1_700_000_000_000_000n + BigInt(version) * 1_000_000n + BigInt(i), 6);
  return { values: [i + 1, i % 97, `user${i % 1000}`, `message ${i} version ${version} `.padEnd(80, 'x'), `${i % 10000}.${version % 100}`.padEnd(4, '0'), at.toString()], at };
}

function eventsFor(table: string, from: number, to: number, version: number): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  for (let i = from; i < to; i++) {
    const { values, at } = rowAt(i, version);
    out.push({
      op: 'u',
      before: null,
      after: { id: values[0], room_id: values[1], author: values[2], body: values[3], score: Decimal.parse(String(values[4])), updated_at: at },
      key: { id: values[0] },
      source: { connector: 'mariadb', name: 'a', db: 'chat', table, serverId: 1, gtid: null, file: 'f', pos: i, row: 0, tsMs: 0, snapshot: false, thread: null },
      headers: {},
      target: { table },
    });
  }
  return out;
}

async function ceiling(conn: Connection, table: string, version: number, mode: 'query' | 'execute'): Promise<number> {
  const one = `(${COLS.map(() => '?').join(', ')})`;
  const update = COLS.slice(1).map((c) => `${c} = VALUES(${c})`).join(', ');
  const t0 = performance.now();
  for (let from = 0; from < ROWS; from += BATCH) {
    const n = Math.min(BATCH, ROWS - from);
    const values: (string | number)[] = [];
    for (let i = from; i < from + n; i++) values.push(...rowAt(i, version).values);
    const sql = `INSERT INTO ${table} (${COLS.join(', ')}) VALUES ${new Array(n).fill(one).join(', ')} ON DUPLICATE KEY UPDATE ${update}`;
    if (mode === 'query') await conn.query(sql, values);
    else await conn.execute(sql, values);
  }
  return ROWS / ((performance.now() - t0) / 1000);
}

async function sinkRun(url: string, table: string, version: number): Promise<number> {
  const sink = mysqlSink({ url, tables: { [table]: { primaryKey: ['id'] } }, maxRows: BATCH, lingerMs: 20, poolSize: 1, retry: testRetryPolicy, logger: createLogger({ level: 'warn' }) });
  // Events are built outside the timed part: the runtime hands the sink decoded events.
  const batches: ChangeEvent[][] = [];
  for (let from = 0; from < ROWS; from += BATCH) batches.push(eventsFor(table, from, Math.min(ROWS, from + BATCH), version));
  await sink.write(eventsFor(table, 0, 1, version - 1)); // warm up: connection, session, table definition
  const t0 = performance.now();
  let applied = 0;
  for (const b of batches) applied += (await sink.write(b)).applied;
  const rate = ROWS / ((performance.now() - t0) / 1000);
  await sink.close();
  if (applied !== ROWS) throw new Error(`sink applied ${applied} of ${ROWS} rows`);
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `min ${Math.round(Math.min(...xs))} / median ${Math.round(median(xs))} / max ${Math.round(Math.max(...xs))}`;

async function main(): Promise<void> {
  const server = process.env.MYSQL_URL ? undefined : await startMariaDb({ serverId: 21 });
  const url = process.env.MYSQL_URL ?? server?.url ?? '';
  try {
    const conn = await createConnection({ uri: url, flags: ['-FOUND_ROWS'] });
    const phases = { insert: { sink: [] as number[], q: [] as number[], e: [] as number[] }, update: { sink: [] as number[], q: [] as number[], e: [] as number[] } };
    for (let run = 0; run < RUNS; run++) {
      const tag = `${Date.now().toString(36)}_${run}`;
      const [s, q, e] = [`bench_sink_${tag}`, `bench_query_${tag}`, `bench_exec_${tag}`];
      for (const t of [s, q, e]) await conn.query(ddl(t));
      await installOriginSupport(url, [s]);
      for (const [phase, version] of [['insert', 2], ['update', 3]] as const) {
        phases[phase].q.push(await ceiling(conn, q, version, 'query'));
        phases[phase].e.push(await ceiling(conn, e, version, 'execute'));
        phases[phase].sink.push(await sinkRun(url, s, version));
      }
      for (const t of [s, q, e]) await conn.query(`DROP TABLE ${t}`);
    }
    await conn.end();
    const out: Record<string, { sink: number; ceiling: number; ratio: number }> = {};
    for (const phase of ['insert', 'update'] as const) {
      const p = phases[phase];
      const ceilingRates = p.q.map((x, i) => Math.max(x, p.e[i]));
      const ratios = p.sink.map((x, i) => x / ceilingRates[i]);
      process.stdout.write(
        `${phase.padEnd(6)} rows=${ROWS} batch=${BATCH} runs=${RUNS}\n` +
          `  sink                  rows/s ${fmt(p.sink)}\n` +
          `  plain upsert query()  rows/s ${fmt(p.q)}\n` +
          `  plain upsert execute() rows/s ${fmt(p.e)}\n` +
          `  ratio sink/ceiling    ${ratios.map((r) => r.toFixed(3)).join(' ')} (median ${median(ratios).toFixed(3)})\n`,
      );
      out[phase] = { sink: median(p.sink), ceiling: median(ceilingRates), ratio: median(ratios) };
    }
    process.stdout.write(
      JSON.stringify({
        bench: 'sink',
        rows: ROWS,
        batch: BATCH,
        sink_rows_per_s: Math.round(out.insert.sink),
        ceiling_rows_per_s: Math.round(out.insert.ceiling),
        ratio: Number(out.insert.ratio.toFixed(3)),
        update_sink_rows_per_s: Math.round(out.update.sink),
        update_ceiling_rows_per_s: Math.round(out.update.ceiling),
        update_ratio: Number(out.update.ratio.toFixed(3)),
      }) + '\n',
    );
  } finally {
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-sink: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
