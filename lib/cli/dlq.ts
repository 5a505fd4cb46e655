// `tandem dlq list|show|replay`: the dead letters in TANDEM_DLQ_TOPIC, one of them decoded, and
// chosen ones replayed through the topology once their cause is fixed (lib/dlq).
import { loadConfig, SyncedTables, type TandemConfig } from '../config';
import { eventJson, formatPosition, letterJson, listLines, parsePosition, readDeadLetterTopic, replayDeadLetters, replayed, replayJson, replayLine, replaySummary, samePosition, showLines, type DlqPosition, type DlqRead, type PartitionExtent, type ReadRange } from '../dlq';
import { redactSecrets } from '../config/redact';
import { consumerSettings } from '../runtime/kafka-config';
import { runCommand } from './command';
import { loadTopology } from './load-topology';

export const usage = `usage: tandem dlq <command> [options]   (the dead-letter topic: TANDEM_DLQ_TOPIC, default tandem.dlq)
  list [--limit n] [--json]     every dead letter, oldest first (--limit n: the newest n): position,
                                time, stage that refused it, original topic[partition]@offset, reason
  show <position> [--json]      one dead letter: its headers, and the original record decoded
                                (Debezium Avro through the registry, TANDEM_REGISTRY_URL)
  replay <position>... | --all [--topology bidirectional] [--json]
                                once the cause is fixed: decodes each original record and runs it
                                once through the topology's stages and sinks, under the same
                                last-writer-wins guard (a record older than the target's row changes
                                nothing); prints per record applied, stale, dropped or dead again
                                with the reason. The dead letters stay in the topic.
  <position>  as list prints it: the offset in the topic's partition 0, or <partition>:<offset>
  Kafka from TANDEM_BROKERS (and TANDEM_RDKAFKA_*); databases from TANDEM_DB_A_URL/TANDEM_DB_B_URL
  or the TANDEM_CONFIG file, never from the command line
  exit: 0 done (replay: every record applied, stale or dropped), 1 replay: some record dead again,
  or Kafka, the registry or a database failed, 2 bad arguments or a position with no dead letter`;

export type DlqArgs =
  | { command: 'list'; limit?: number; json: boolean }
  | { command: 'show'; position: DlqPosition; json: boolean }
  | { command: 'replay'; positions: DlqPosition[] | 'all'; topology: string; json: boolean };

export function parseDlqArgs(args: readonly string[]): DlqArgs | string {
  const [command, ...rest] = args;
  if (command !== 'list' && command !== 'show' && command !== 'replay') return command === undefined ? 'which command? (list, show or replay)' : `unknown command ${command} (list, show or replay)`;
  const positions: DlqPosition[] = [];
  let json = false;
  let all = false;
  let limit: number | undefined;
  let topology: string | undefined;
  const valueOf = (i: number, flag: string): string | undefined => (rest[i].startsWith(`${flag}=`) ? rest[i].slice(flag.length + 1) : rest[i + 1]);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const flag = a.split('=', 1)[0];
    if (a === '--json') json = true;
    else if (a === '--all' && command === 'replay') all = true;
    else if (flag === '--limit' && command === 'list') {
      const v = valueOf(i, flag);
      if (!a.includes('=')) i++;
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 1) return '--limit needs a whole number ≥ 1';
      limit = n;
    } else if (flag === '--topology' && command === 'replay') {
      const v = valueOf(i, flag);
      if (!a.includes('=')) i++;
      if (!v) return '--topology needs a name (a file topologies/<name>.ts)';
      topology = v;
    } else if (a.startsWith('-')) return `unknown option ${a} for dlq ${command}`;
    else if (command === 'list') return `dlq list takes no position (got ${a}); dlq show <position> shows one`;
    else {
      const p = parsePosition(a);
      if (typeof p === 'string') return p;
      positions.push(p);
    }
  }
  if (command === 'list') return { command, json, ...(limit === undefined ? {} : { limit }) };
  if (command === 'show') {
    if (positions.length !== 1) return `dlq show takes one position (got ${positions.length})`;
    return { command, position: positions[0], json };
  }
  if (all === (positions.length > 0)) return all ? 'give positions or --all, not both' : 'which dead letters? (positions as dlq list prints them, or --all)';
  return { command, positions: all ? 'all' : positions, topology: topology ?? 'bidirectional', json };
}

/** The ranges holding `positions`: per partition, from the lowest to the highest asked for. */
function rangesOf(positions: readonly DlqPosition[]): (ps: PartitionExtent[]) => ReadRange[] {
  return () => {
    const out = new Map<number, ReadRange>();
    for (const p of positions) {
      const r = out.get(p.partition);
      if (!r) out.set(p.partition, { partition: p.partition, from: p.offset, to: p.offset });
      else {
        if (p.offset < r.from) r.from = p.offset;
        if (p.offset > r.to) r.to = p.offset;
      }
    }
    return [...out.values()];
  };
}

/** The newest `n` of each partition: the newest `n` of the topic are among them. */
const newest = (n: number) => (ps: PartitionExtent[]) => ps.map((p) => ({ partition: p.partition, from: p.high - BigInt(n), to: p.high - 1n }));

function read(config: TandemConfig, ranges?: (ps: PartitionExtent[]) => ReadRange[]): Promise<DlqRead> {
  const settings = consumerSettings({ brokers: config.brokers, groupId: `tandem-dlq-reader-${process.pid}`, clientId: 'tandem-dlq' });
  return readDeadLetterTopic(settings, config.dlqTopic, ranges);
}

/** The letters at `positions`, in their order, or a message naming those the topic lacks. */
function pick(got: DlqRead, positions: readonly DlqPosition[], topic: string) {
  const missing = positions.filter((p) => !got.letters.some((l) => samePosition(l, p)));
  if (missing.length === 0) return positions.map((p) => got.letters.find((l) => samePosition(l, p)) as DlqRead['letters'][number]);
  const holds = got.partitions.map((p) => (p.high > p.low ? `partition ${p.partition} offsets ${p.low}..${p.high - 1n}` : `partition ${p.partition} nothing`)).join(', ');
  return `no dead letter at ${missing.map(formatPosition).join(', ')} in ${topic} (${got.exists ? `it holds ${holds}` : 'the topic does not exist: nothing was ever dead-lettered'})`;
}

async function list(config: TandemConfig, a: Extract<DlqArgs, { command: 'list' }>): Promise<number> {
  const got = await read(config, a.limit === undefined ? undefined : newest(a.limit));
  const letters = a.limit === undefined ? got.letters : [...got.letters].sort((x, y) => x.timestamp - y.timestamp).slice(-a.limit);
  if (a.json) {
    process.stdout.write(`${JSON.stringify({ topic: config.dlqTopic, exists: got.exists, deadLetters: letters.map(letterJson) })}\n`);
    return 0;
  }
  const total = got.partitions.reduce((n, p) => n + Number(p.high - p.low), 0);
  const lines = letters.length > 0 ? listLines(letters) : [];
  const counted = `${letters.length === total ? '' : `${letters.length} of `}${total} dead letter${total === 1 ? '' : 's'} in ${config.dlqTopic}`;
  lines.push(got.exists ? counted : `no dead letters: topic ${config.dlqTopic} does not exist`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function show(config: TandemConfig, a: Extract<DlqArgs, { command: 'show' }>): Promise<number> {
  const got = pick(await read(config, rangesOf([a.position])), [a.position], config.dlqTopic);
  if (typeof got === 'string') return refuse(got);
  const [letter] = got;
  const { DebeziumDecoder } = require('../debezium') as typeof import('../debezium');
  const { ConfluentSchemaRegistrySource } = require('../registry') as typeof import('../registry');
  const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(config.registryUrl) });
  const decoded = letter.origin
    ? await decoder.decode({ ...letter.origin, key: letter.key, value: letter.value, headers: letter.headers }).then(
        (event) => ({ event }),
        (err: unknown) => ({ error: redactSecrets(err instanceof Error ? err.message : String(err)) }),
      )
    : { error: 'the dead letter does not say which topic its record was read from' };
  if (a.json) {
    const record = 'error' in decoded ? { error: decoded.error } : decoded.event === null ? null : eventJson(decoded.event);
    const headers = Object.fromEntries(Object.entries(letter.headers).map(([k, v]) => [k, String(v)]));
    process.stdout.write(`${JSON.stringify({ ...letterJson(letter), headers, key: letter.key?.toString('hex') ?? null, record })}\n`);
  } else process.stdout.write(`${showLines(letter, config.dlqTopic, decoded).join('\n')}\n`);
  return 0;
}

async function replay(config: TandemConfig, a: Extract<DlqArgs, { command: 'replay' }>): Promise<number> {
  const definition = await loadTopology(a.topology);
  const got = await read(config, a.positions === 'all' ? undefined : rangesOf(a.positions));
  const letters = a.positions === 'all' ? got.letters : pick(got, a.positions, config.dlqTopic);
  if (typeof letters === 'string') return refuse(letters);
  // Loaded late: mysql2 and the sinks only when replaying.
  const { withResolvedTables } = require('../tables') as typeof import('../tables');
  const { mysqlExecutor } = require('../runtime/mysql-topology') as typeof import('../runtime/mysql-topology');
  const { DslPipeline } = require('../runtime/dsl-pipeline') as typeof import('../runtime/dsl-pipeline');
  const { DebeziumDecoder } = require('../debezium') as typeof import('../debezium');
  const { ConfluentSchemaRegistrySource } = require('../registry') as typeof import('../registry');
  const { primeSchemaAgreement } = require('../sink') as typeof import('../sink');
  const { createLogger } = require('../observe') as typeof import('../observe');
  const resolved = await withResolvedTables(config);
  const tables = new SyncedTables(resolved.config.tables, resolved.config.allTables);
  for (const r of resolved.refused) tables.refuse(r.table, r.reason);
  const log = createLogger({ component: 'tandem-dlq' });
  const pipeline = new DslPipeline(mysqlExecutor(definition, resolved.config, tables, log));
  const decoder = new DebeziumDecoder({ schemas: new ConfluentSchemaRegistrySource(config.registryUrl) });
  try {
    await primeSchemaAgreement(resolved.config.tables.map((t) => t.name));
    const results = await replayDeadLetters(letters, { decoder, pipeline, onResult: a.json ? undefined : (r) => process.stdout.write(`${replayLine(r)}\n`) });
    if (a.json) process.stdout.write(`${JSON.stringify({ topic: config.dlqTopic, results: results.map(replayJson) })}\n`);
    else process.stdout.write(`${replaySummary(results)}\n`);
    return results.every((r) => replayed(r.outcome)) ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

function refuse(message: string): number {
  process.stderr.write(`tandem dlq: ${message}\n`);
  return 2;
}

export default function dlq(args: string[]): Promise<number> {
  const parsed = parseDlqArgs(args);
  return runCommand(typeof parsed === 'string' ? 'dlq' : `dlq ${parsed.command}`, usage, parsed, async (a) => {
    const config = loadConfig(process.env);
    if (a.command === 'list') return list(config, a);
    if (a.command === 'show') return show(config, a);
    return replay(config, a);
  });
}
