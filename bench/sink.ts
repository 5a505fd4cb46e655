// make bench-sink: rows/s of the Tandem sink (LWW guard, tombstone check, triggers installed)
// against the fastest plain mysql2 multi-row INSERT ... ON DUPLICATE KEY UPDATE loop on the
// same table and data (the ceiling), measured in the same run, fresh inserts then updates.
// "The same table": the sink's table definition with Tandem's triggers installed, written by a
// session that sets @tandem_apply = 1 (as the sink's does: the triggers skip their work; without
// it they would look up a tombstone per row, a slower ceiling). The ceiling is the fastest of
// query() and execute() and of batches of 500, 1000 and 2000 rows; one connection, like the sink's
// flushes (one flush at a time). The same loop on a copy without triggers is printed too.
// Between the two, the sink's own statements (captured on a table of their own beforehand) are
// replayed by a plain loop: sink/replay is what Tandem's process adds, replay/ceiling what the
// guards cost MariaDB.
import { createConnection, type Connection, type Pool, type PoolConnection } from 'mysql2/promise';
import { LocalDateTime, Decimal, type ChangeEvent } from '../lib/model';
import { createLogger } from '../lib/observe';
import { createSinkPool, installOriginSupport, mariadbDialect, mysqlSink } from '../lib/sink';
import { startMariaDb } from '../lib/stack/mariadb';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Contenders alternate every BLOCK rows (a multiple of every batch size used).
const BLOCK = 10_000;
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

interface Plain {
  name: string;
  mode: 'query' | 'execute';
  batch: number;
  /** Tandem's triggers installed on its table (the ceiling) or not (printed for reference). */
  triggers: boolean;
}
const PLAIN: Plain[] = [
  ...[500, 1000, 2000].map((batch) => ({ name: `query() batch ${batch}`, mode: 'query' as const, batch, triggers: true })),
  { name: `execute() batch ${BATCH}`, mode: 'execute', batch: BATCH, triggers: true },
  { name: `query() batch ${BATCH}, no triggers`, mode: 'query', batch: BATCH, triggers: false },
];

/** One way of writing rows [from, to); the contenders take turns per block so load hits all alike. */
interface Contender {
  step(from: number, to: number): Promise<void>;
  close(): Promise<void>;
}

function plainLoop(conn: Connection, table: string, version: number, mode: 'query' | 'execute', batch: number): Contender {
  const one = `(${COLS.map(() => '?').join(', ')})`;
  const update = COLS.slice(1).map((c) => `${c} = VALUES(${c})`).join(', ');
  return {
    async step(start, end) {
      for (let from = start; from < end; from += batch) {
        const n = Math.min(batch, end - from);
        const values: (string | number)[] = [];
        for (let i = from; i < from + n; i++) values.push(...rowAt(i, version).values);
        const sql = `INSERT INTO ${table} (${COLS.join(', ')}) VALUES ${new Array(n).fill(one).join(', ')} ON DUPLICATE KEY UPDATE ${update}`;
        if (mode === 'query') await conn.query(sql, values);
        else await conn.execute(sql, values);
      }
    },
    close: async () => undefined,
  };
}

function batchesOf(table: string, version: number): ChangeEvent[][] {
  const batches: ChangeEvent[][] = [];
  for (let from = 0; from < ROWS; from += BATCH) batches.push(eventsFor(table, from, Math.min(ROWS, from + BATCH), version));
  return batches;
}

async function sinkLoop(url: string, table: string, version: number, pool?: Pool): Promise<Contender> {
  const sink = mysqlSink({ url, ...(pool ? { pool } : {}), tables: { [table]: { primaryKey: ['id'] } }, maxRows: BATCH, lingerMs: 20, poolSize: 1, logger: createLogger({ level: 'warn' }) });
  // Events are built outside the timed part: the runtime hands the sink decoded events.
  const batches = batchesOf(table, version);
  await sink.write(eventsFor(table, 0, 1, version - 1)); // warm up: connection, session, table definition
  let applied = 0;
  return {
    async step(from, to) {
      for (let b = Math.floor(from / BATCH); b * BATCH < to; b++) applied += (await sink.write(batches[b])).applied;
    },
    async close() {
      await sink.close();
      if (applied !== ROWS) throw new Error(`sink applied ${applied} of ${ROWS} rows`);
    },
  };
}

interface Statement {
  sql: string;
  values: unknown[];
}

/**
 * The statements the sink sends for each batch, recorded while it writes them into `table` (a
 * table of their own, in the same state as the sink's: the same phases ran on it). Only those that
 * name the table, in their text or their values: the data, not the session's set-up.
 */
async function captureSink(url: string, table: string, version: number): Promise<Statement[][]> {
  const pool = createSinkPool(url, 2, { multipleStatements: true });
  const perBatch: Statement[][] = [];
  let current: Statement[] = [];
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = async () => {
    const conn = await getConnection();
    const query = conn.query.bind(conn) as (sql: string, values?: unknown[]) => Promise<unknown>;
    (conn as unknown as { query: typeof query }).query = (sql, values) => {
      if (sql.includes(table) || (values ?? []).includes(table)) current.push({ sql, values: values ?? [] });
      return query(sql, values);
    };
    return conn as PoolConnection;
  };
  const sink = await sinkLoop(url, table, version, pool);
  for (let b = 0; b * BATCH < ROWS; b++) {
    current = [];
    await sink.step(b * BATCH, Math.min(ROWS, (b + 1) * BATCH));
    perBatch.push(current);
  }
  await sink.close();
  await pool.end();
  return perBatch;
}

/** The captured statements, table name replaced, through one plain connection set up like the sink's. */
function replayLoop(conn: Connection, captured: Statement[][], from: string, to: string): Contender {
  const swap = (v: unknown) => (v === from ? to : v);
  const batches = captured.map((stmts) => stmts.map((x) => ({ sql: x.sql.split(from).join(to), values: x.values.map(swap) })));
  return {
    async step(start, end) {
      for (let b = Math.floor(start / BATCH); b * BATCH < end; b++) for (const x of batches[b]) await conn.query(x.sql, x.values);
    },
    close: async () => undefined,
  };
}

/** The replay must have written what the sink wrote, or its rate says nothing. */
async function sameContent(conn: Connection, a: string, b: string): Promise<void> {
  const [rows] = await conn.query(`CHECKSUM TABLE ${a}, ${b}`);
  const [x, y] = (rows as { Checksum: unknown }[]).map((r) => String(r.Checksum));
  if (x !== y) throw new Error(`the replayed statements left ${b} unlike the sink's ${a} (checksums ${x} and ${y})`);
}

/** Rows/s of each contender over ROWS rows, in blocks of BLOCK rows, taking turns (rotating who goes first). */
async function race(contenders: Contender[]): Promise<number[]> {
  const ms = contenders.map(() => 0);
  for (let from = 0, k = 0; from < ROWS; from += BLOCK, k++) {
    for (let j = 0; j < contenders.length; j++) {
      const i = (j + k) % contenders.length;
      const t0 = performance.now();
      await contenders[i].step(from, Math.min(ROWS, from + BLOCK));
      ms[i] += performance.now() - t0;
    }
  }
  for (const c of contenders) await c.close();
  return ms.map((m) => ROWS / (m / 1000));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `min ${Math.round(Math.min(...xs))} / median ${Math.round(median(xs))} / max ${Math.round(Math.max(...xs))}`;

async function main(): Promise<void> {
  const server = process.env.MYSQL_URL ? undefined : await startMariaDb({ serverId: 21 });
  const url = process.env.MYSQL_URL ?? server?.url ?? '';
  try {
    const conn = await createConnection({ uri: url, flags: ['-FOUND_ROWS'] });
    await conn.query('SET @tandem_apply = 1');
    // The replay's connection: a Tandem session's settings (sql_mode, server id...), as the sink's.
    const replayConn = await createConnection({ uri: url, flags: ['-FOUND_ROWS'], multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4_unicode_ci' });
    for (const stmt of mariadbDialect.sessionSetup({ serverId: 4100, gtidDomainId: 4100 })) await replayConn.query(stmt.sql, stmt.values);
    type Rates = { sink: number[]; replay: number[]; plain: number[][] };
    const phases: Record<'insert' | 'update', Rates> = { insert: { sink: [], replay: [], plain: PLAIN.map(() => []) }, update: { sink: [], replay: [], plain: PLAIN.map(() => []) } };
    for (let run = 0; run < RUNS; run++) {
      const tag = `${Date.now().toString(36)}_${run}`;
      const sinkTable = `bench_sink_${tag}`;
      const captureTable = `bench_capture_${tag}`;
      const replayTable = `bench_replay_${tag}`;
      const plainTables = PLAIN.map((_, i) => `bench_plain${i}_${tag}`);
      const tables = [sinkTable, captureTable, replayTable, ...plainTables];
      for (const t of tables) await conn.query(ddl(t));
      await installOriginSupport(url, [sinkTable, captureTable, replayTable, ...plainTables.filter((_, i) => PLAIN[i].triggers)]);
      for (const [phase, version] of [['insert', 2], ['update', 3]] as const) {
        const captured = await captureSink(url, captureTable, version);
        const rates = await race([await sinkLoop(url, sinkTable, version), replayLoop(replayConn, captured, captureTable, replayTable), ...PLAIN.map((p, i) => plainLoop(conn, plainTables[i], version, p.mode, p.batch))]);
        phases[phase].sink.push(rates[0]);
        phases[phase].replay.push(rates[1]);
        PLAIN.forEach((_, i) => phases[phase].plain[i].push(rates[i + 2]));
      }
      await sameContent(conn, sinkTable, replayTable);
      for (const t of tables) await conn.query(`DROP TABLE ${t}`);
    }
    await conn.end();
    await replayConn.end();
    const out: Record<string, { sink: number; ceiling: number; ratio: number; bare: number; bareRatio: number; replay: number; ofReplay: number; replayOfCeiling: number }> = {};
    for (const phase of ['insert', 'update'] as const) {
      const p = phases[phase];
      const best = (keep: (x: Plain) => boolean) => p.sink.map((_, run) => Math.max(...PLAIN.flatMap((x, i) => (keep(x) ? [p.plain[i][run]] : []))));
      const ceilingRates = best((x) => x.triggers);
      const bareRates = best((x) => !x.triggers);
      const ratios = p.sink.map((x, i) => x / ceilingRates[i]);
      const bareRatios = p.sink.map((x, i) => x / bareRates[i]);
      const ofReplay = p.sink.map((x, i) => x / p.replay[i]);
      const replayOfCeiling = p.replay.map((x, i) => x / ceilingRates[i]);
      process.stdout.write(
        `${phase.padEnd(6)} rows=${ROWS} batch=${BATCH} runs=${RUNS} connections=1\n` +
          `  ${'sink'.padEnd(36)} rows/s ${fmt(p.sink)}\n` +
          `  ${"sink's statements replayed".padEnd(36)} rows/s ${fmt(p.replay)}\n` +
          PLAIN.map((x, i) => `  ${('plain upsert ' + x.name).padEnd(36)} rows/s ${fmt(p.plain[i])}\n`).join('') +
          `  ratio sink/ceiling    ${ratios.map((r) => r.toFixed(3)).join(' ')} (median ${median(ratios).toFixed(3)})\n` +
          `  ratio sink/no-trigger ${bareRatios.map((r) => r.toFixed(3)).join(' ')} (median ${median(bareRatios).toFixed(3)})\n` +
          `  ratio sink/replay     ${ofReplay.map((r) => r.toFixed(3)).join(' ')} (median ${median(ofReplay).toFixed(3)}; what Tandem's process adds)\n` +
          `  ratio replay/ceiling  ${replayOfCeiling.map((r) => r.toFixed(3)).join(' ')} (median ${median(replayOfCeiling).toFixed(3)}; what the guards cost MariaDB)\n`,
      );
      out[phase] = { sink: median(p.sink), ceiling: median(ceilingRates), ratio: median(ratios), bare: median(bareRates), bareRatio: median(bareRatios), replay: median(p.replay), ofReplay: median(ofReplay), replayOfCeiling: median(replayOfCeiling) };
    }
    process.stdout.write(
      JSON.stringify({
        bench: 'sink',
        rows: ROWS,
        batch: BATCH,
        connections: 1,
        sink_rows_per_s: Math.round(out.insert.sink),
        ceiling_rows_per_s: Math.round(out.insert.ceiling),
        ratio: Number(out.insert.ratio.toFixed(3)),
        update_sink_rows_per_s: Math.round(out.update.sink),
        update_ceiling_rows_per_s: Math.round(out.update.ceiling),
        update_ratio: Number(out.update.ratio.toFixed(3)),
        no_trigger_ratio: Number(out.insert.bareRatio.toFixed(3)),
        update_no_trigger_ratio: Number(out.update.bareRatio.toFixed(3)),
        replay_rows_per_s: Math.round(out.insert.replay),
        sink_of_replay: Number(out.insert.ofReplay.toFixed(3)),
        replay_of_ceiling: Number(out.insert.replayOfCeiling.toFixed(3)),
        update_replay_rows_per_s: Math.round(out.update.replay),
        update_sink_of_replay: Number(out.update.ofReplay.toFixed(3)),
        update_replay_of_ceiling: Number(out.update.replayOfCeiling.toFixed(3)),
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
