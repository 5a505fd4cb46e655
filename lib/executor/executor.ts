import type { NodeCounters, ProcessorNode, SinkDescription, SinkNode, StageContext, Topology, TopologyNode } from '../dsl';
import { addTables, type ChangeEvent, type ConflictRecord, type DeadLetter, type Sink, type SinkWriteResult, type TableCounts } from '../model';
import { TandemError } from '../errors';

/** What one batch did, for the runtime (commit, DLQ, metrics) and the test driver. */
export interface BatchOutcome {
  source: string;
  /** Everything refused on the way, by stages and sinks, in the order it happened. */
  deadLetters: DeadLetter[];
  /** Every collision a stage resolved, in the order it happened (for the audit output). */
  audits: ConflictRecord[];
  /** Per node name; every node of the topology is present, with zeros if the batch did not reach it. */
  counters: Record<string, NodeCounters>;
  /** The sinks' rows applied and skipped per target table, where the sinks tell (metrics per table). */
  tables: Record<string, TableCounts>;
  /** Wall-clock time spent in sinks' write() until durable, summed over the sinks (the rest is the stages'). */
  sinkMs: number;
  totals: { in: number; echoesSuppressed: number; conflictsResolved: number; deadLettered: number; applied: number; skipped: number };
}

export interface RunOptions {
  /** Called after each sink write, with exactly what the sink was given (the test driver records it). */
  onSinkWrite?: (node: SinkNode, events: readonly ChangeEvent[], result: SinkWriteResult) => void;
  /**
   * Called once every stage has run and every sink has been given its events, before they are
   * durable: a sink writes what it is given in the order given, so the caller may start the
   * next batch of the same stream from here on (the runtime's lanes do).
   */
  onQueued?: () => void;
}

const zero = (): NodeCounters => ({ in: 0, out: 0, deadLettered: 0 });

function isPoison(err: unknown): err is TandemError {
  return err instanceof TandemError && err.kind === 'poison';
}

class BatchRun {
  readonly deadLetters: DeadLetter[] = [];
  readonly audits: ConflictRecord[] = [];
  readonly counters: Record<string, NodeCounters> = {};
  readonly tables: Record<string, TableCounts> = {};
  sinkMs = 0;
  /** Sink writes given out during the walk, awaited (and counted) in that order once it is done. */
  private readonly writes: { node: SinkNode; events: readonly ChangeEvent[]; started: number; result: Promise<SinkWriteResult> }[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly sinkOf: (node: SinkNode) => Sink,
    private readonly options: RunOptions,
  ) {
    for (const n of topology.nodes) this.counters[n.name] = zero();
  }

  async visit(node: TopologyNode, events: readonly ChangeEvent[]): Promise<void> {
    const counters = this.counters[node.name];
    counters.in += events.length;
    if (node.type === 'branch') return this.split(node.name, node.children, node.predicates, events);
    if (node.type === 'sink') return this.write(node, events);
    const out = node.type === 'source' ? events : await this.runStage(node, events);
    counters.out += out.length;
    if (out.length === 0) return;
    for (const child of node.children) await this.visit(this.topology.node(child), out);
  }

  private async split(name: string, children: readonly string[], predicates: readonly ((e: ChangeEvent) => boolean)[], events: readonly ChangeEvent[]): Promise<void> {
    const parts: ChangeEvent[][] = children.map(() => []);
    let unmatched = 0;
    for (const event of events) {
      const i = predicates.findIndex((p) => p(event));
      if (i < 0) unmatched++;
      else parts[i].push(event);
    }
    const counters = this.counters[name];
    counters.out += events.length - unmatched;
    counters.unmatched = (counters.unmatched ?? 0) + unmatched;
    for (const [i, child] of children.entries()) if (parts[i].length > 0) await this.visit(this.topology.node(child), parts[i]);
  }

  /** Gives the sink its events now; the result is awaited by `settle`, after the whole walk. */
  private write(node: SinkNode, events: readonly ChangeEvent[]): void {
    if (events.length === 0) return;
    const result = this.sinkOf(node).write(events);
    result.catch(() => undefined); // observed by settle()
    this.writes.push({ node, events, started: performance.now(), result });
  }

  /** Waits until every sink write is durable, accounting them in the order they were given. */
  async settle(): Promise<void> {
    let failure: { err: unknown } | undefined;
    for (const w of this.writes) {
      let result: SinkWriteResult;
      try {
        result = await w.result;
      } catch (err) {
        failure ??= { err };
        continue;
      }
      this.sinkMs += performance.now() - w.started;
      const counters = this.counters[w.node.name];
      counters.applied = (counters.applied ?? 0) + result.applied;
      counters.skipped = (counters.skipped ?? 0) + result.skipped;
      counters.deadLettered += result.deadLetters.length;
      this.deadLetters.push(...result.deadLetters);
      if (result.audits?.length) this.audits.push(...result.audits);
      addTables(this.tables, result.tables);
      this.options.onSinkWrite?.(w.node, w.events, result);
    }
    if (failure) throw failure.err;
  }

  /** Runs the stage on the batch; on a poison error, once per event to dead-letter only the culprit. */
  private async runStage(node: ProcessorNode, events: readonly ChangeEvent[]): Promise<ChangeEvent[]> {
    try {
      return await this.attempt(node, events);
    } catch (err) {
      if (!isPoison(err)) throw err;
      if (events.length === 1) {
        this.deadLetter(node.name, events[0], err.message);
        return [];
      }
    }
    const out: ChangeEvent[] = [];
    for (const event of events) {
      try {
        out.push(...(await this.attempt(node, [event])));
      } catch (err) {
        if (!isPoison(err)) throw err;
        this.deadLetter(node.name, event, err.message);
      }
    }
    return out;
  }

  /** One try: counters, dead letters and audit records are kept only if the stage returns. */
  private async attempt(node: ProcessorNode, events: readonly ChangeEvent[]): Promise<ChangeEvent[]> {
    const letters: DeadLetter[] = [];
    const audits: ConflictRecord[] = [];
    const extra: Record<string, number> = {};
    const ctx: StageContext = {
      node: node.name,
      deadLetter: (event, reason) => letters.push(deadLetterOf(node.name, event, reason)),
      count: (counter, n = 1) => {
        extra[counter] = (extra[counter] ?? 0) + n;
      },
      audit: (record) => audits.push({ stage: node.name, ...record }),
    };
    const out = await node.stage.process(events, ctx);
    const counters = this.counters[node.name];
    for (const [k, v] of Object.entries(extra)) counters[k] = (counters[k] ?? 0) + v;
    counters.deadLettered += letters.length;
    this.deadLetters.push(...letters);
    this.audits.push(...audits);
    return out;
  }

  private deadLetter(node: string, event: ChangeEvent, reason: string): void {
    this.counters[node].deadLettered++;
    this.deadLetters.push(deadLetterOf(node, event, reason));
  }
}

function deadLetterOf(stage: string, event: ChangeEvent, reason: string): DeadLetter {
  return { stage, reason, event, ...(event.kafka ? { kafka: event.kafka } : {}) };
}

function sum(counters: Record<string, NodeCounters>, key: string): number {
  return Object.values(counters).reduce((acc, c) => acc + (c[key] ?? 0), 0);
}

/** Makes the live sink a sink node's description stands for: the runtime's MySQL sink, the driver's in-memory database. */
export type SinkFor = (description: SinkDescription) => Sink;

/** For graphs ending in `providedSink(name)`: each description resolved to the given sink of that name. */
export function sinksByName(...sinks: Sink[]): SinkFor {
  return (d) => {
    const sink = sinks.find((s) => s.name === d.name);
    if (!sink) throw new RangeError(`no sink named ${d.name} was provided (have ${sinks.map((s) => s.name).join(', ')})`);
    return sink;
  };
}

/**
 * A built topology with a live sink for each of its sink descriptions (one per sink name, made
 * once, here), run one batch at a time. The runtime, `tandem dlq replay` and the test driver all
 * run their topology through this class; they differ only in the `sinkFor` they pass.
 */
export class Executor {
  private readonly live = new Map<string, Sink>();

  constructor(
    readonly topology: Topology,
    sinkFor: SinkFor,
  ) {
    for (const node of topology.sinks) if (!this.live.has(node.sink.name)) this.live.set(node.sink.name, sinkFor(node.sink));
  }

  /** The live sink of each sink name. */
  get sinks(): ReadonlyMap<string, Sink> {
    return this.live;
  }

  /**
   * Runs one batch of events read by one source node through its stages and sinks: stages run in
   * graph order on the whole batch, branches fan out, each sink is given its events as the walk
   * reaches it (`onQueued` once all are given), and all sink writes are awaited, so when this
   * resolves every event is in a sink or in `deadLetters`. Non-poison errors (retriable, fatal,
   * programmer) propagate to the caller, a sink's once every write of the batch has settled.
   */
  async runBatch(source: string, events: readonly ChangeEvent[], options: RunOptions = {}): Promise<BatchOutcome> {
    const node = this.topology.node(source);
    if (node.type !== 'source') throw new RangeError(`runBatch: ${source} is a ${node.type} node, not a source`);
    const run = new BatchRun(this.topology, (n) => this.live.get(n.sink.name) as Sink, options);
    try {
      await run.visit(node, events);
    } catch (err) {
      // A stage that failed midway may have given some sink its events already: they settle first.
      await run.settle().catch(() => undefined);
      throw err;
    }
    options.onQueued?.();
    await run.settle();
    const { counters, deadLetters, audits, tables, sinkMs } = run;
    return {
      source,
      deadLetters,
      audits,
      counters,
      tables,
      sinkMs,
      totals: {
        in: events.length,
        echoesSuppressed: sum(counters, 'echoesSuppressed'),
        conflictsResolved: sum(counters, 'conflictsResolved'),
        deadLettered: deadLetters.length,
        applied: sum(counters, 'applied'),
        skipped: sum(counters, 'skipped'),
      },
    };
  }

  /** Flushes and closes every sink once. */
  async close(): Promise<void> {
    for (const sink of this.live.values()) {
      await sink.flush();
      await sink.close();
    }
  }
}
