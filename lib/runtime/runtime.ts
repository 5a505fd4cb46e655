// The consumer-group loop: consume a batch, split it per source node, decode, run the stage
// chain and its sinks, dead-letter what cannot be applied, and only then commit, per partition,
// the highest contiguous offset that is finished. At-least-once; the LWW sink makes replays no-ops.
import { isSchemaChange, type ChangeEvent, type DeadLetter, type DecodeOptions } from '../model';
import { RetryStopped, TandemError, defaultRetryPolicy, kindOf, retriable, withRetry, type RetryPolicy } from '../errors';
import { Counters, Outages, type LagByDirection, type Logger, type Outage, type RuntimeMonitor } from '../observe';
import { DDL_DEFER_UNKNOWN_MS, PAST_MARGIN_MS, inBinlogOrder, takeQueuedDdl, type DeferredDdl, type Prepared } from './schema-order';
import { OffsetTracker, partitionKey } from './offset-tracker';
import { KAFKA_PART } from './kafka-part';
import { batchTraceFields } from './batch-trace';
import { TopicRouter } from './topic-router';
import type { AuditPort, ConsumedRecord, ConsumerPort, DeadLetterPort, DecoderRecord, Pipeline, PipelineOutcome, RecordDecoder, TopicPartition } from './ports';

export interface RuntimeOptions {
  consumer: ConsumerPort;
  deadLetters: DeadLetterPort;
  /** Where resolved conflicts go (TANDEM_AUDIT_TOPIC); absent: they are only counted. */
  audits?: AuditPort;
  pipeline: Pipeline;
  decoder: RecordDecoder;
  logger: Logger;
  counters?: Counters;
  /** Records per consume call and rows per sink transaction (TANDEM_BATCH_ROWS); the other bounds follow from it. */
  batchRows: number;
  /**
   * The most records one batch of a lane takes (default 2 × batchRows): what arrives while a
   * lane's batch waits to start joins it up to this size, so the sink gets work for all its
   * connections.
   */
  maxBatchRecords?: number;
  /**
   * Records consumed but not finished, over the lanes that are moving, at which the loop stops
   * consuming until a batch finishes (default maxBatchRecords: twice that held a fifth more
   * memory at the peak, for no more rows/s; docs/runtime.md "Memory"). librdkafka keeps what it has
   * fetched meanwhile (its queue is bounded too); pausing partitions instead would drop that, and
   * a resumed lane would wait for the fetch again.
   */
  maxInFlight?: number;
  /**
   * A lane whose batch has run this long (default 2 s) waits for something (a database, a schema
   * change, a lock): its partitions pause, and its records stop counting against maxInFlight, so
   * the other lanes go on. It resumes once its batch is done.
   */
  stuckAfterMs?: number;
  /**
   * The least time between two offset commits of the consume loop (default 0: after every
   * batch). Each commit is a write to Kafka's offsets topic; caught up, batches are small and
   * many (hundreds a second), and a commit each cost CPU in both Kafka and Tandem. Longer means
   * more records re-applied (as no-ops) after a crash, never a record skipped.
   */
  commitIntervalMs?: number;
  /** How long to wait for a part that is down; default: as long as it takes (defaultRetryPolicy). */
  retryPolicy?: RetryPolicy;
  /** Shared with the Kafka clients, so every wait is reported the same way. */
  outages?: Outages;
  /** Told about every finished batch (metrics, the status page). */
  monitor?: RuntimeMonitor;
}

/** One assigned partition's consumer lag: records the broker holds beyond what is committed. */
export interface PartitionLag {
  direction: string;
  topic: string;
  partition: number;
  lag: number;
}

/** Whether the consume loop runs, for the health endpoints. */
export interface LoopState {
  /** run() is consuming (started, not stopped or failed). */
  running: boolean;
  /** When the loop last came round (epoch ms); 0 before it started. */
  lastTurnAtMs: number;
}

/** Records of one dispatch for one lane, decoding already. */
interface Chunk {
  records: ConsumedRecord[];
  /** Schema changes that take their place among the records. */
  ready: Prepared[];
  decoded: Promise<Decoded>;
  countdown: (r: ConsumedRecord) => void;
  /** When it was handed to the lane (performance.now()): the batch's wait for its lane starts here. */
  atMs: number;
}

interface Decoded {
  events: ChangeEvent[];
  deadLetters: DeadLetter[];
}

interface Lane {
  /** The source node whose stages the lane's batches run through (null: records no source reads). */
  source: string | null;
  /** Every batch handed to the lane so far is finished. */
  tail: Promise<void>;
  /**
   * The lane's last batch has given its sinks all its rows (or finished): the next batch may run
   * its stages from then on. A sink writes rows in the order it is given them, so the lane's order
   * holds while one batch commits and the next is resolved (a schema change waits for all).
   */
  queued: Promise<void>;
  /**
   * The batch waiting for the running one: what is consumed meanwhile joins it (up to
   * maxBatchRecords), so a lane applies a few records at a time when it keeps up and large batches
   * when it is behind; the sink splits them into flushes of at most TANDEM_BATCH_ROWS rows.
   */
  next: Chunk[] | undefined;
  pending: number;
  /** Its running batches, by when each started (performance.now()), oldest first. */
  running: { since: number }[];
  /** Its oldest running batch has run longer than stuckAfterMs: its records stop counting against maxInFlight. */
  stuck: boolean;
  /** Its partitions are paused (it is stuck, and no schema change it needs waits for more of its rows). */
  paused: boolean;
  /** A stop request ended one of its batches' wait: that batch and the lane's later ones stay undone. */
  abandoned: boolean;
  /**
   * Schema changes queued behind the lane's running batch. The row topic and the schema-change
   * topic are fetched separately, so a row can reach the lane a batch before the ALTER written
   * just ahead of it; that batch waits for the table's shape, and takes the ALTER from here.
   */
  queuedDdl: Prepared[];
}

const newLane = (source: string | null): Lane => ({ source, tail: Promise.resolve(), queued: Promise.resolve(), next: undefined, pending: 0, running: [], stuck: false, paused: false, abandoned: false, queuedDdl: [] });

const LANE_SEP = '\u0000';
/** How often a loop waiting for room looks for stuck lanes. */
const ROOM_TICK_MS = 100;
/** One lane per table (row topic) of a source. */
const laneName = (source: string, topic: string) => `${source}${LANE_SEP}${topic}`;
const topicOfLane = (lane: string) => lane.slice(lane.indexOf(LANE_SEP) + 1);

/**
 * Debezium names a connector's schema-change topic after its topic prefix (`a`), and its row
 * topics `<prefix>.<db>.<table>`: a topic without a dot carries DDL.
 */
export const isSchemaChangeTopic = (topic: string) => !topic.includes('.');

export class Runtime {
  readonly counters: Counters;
  private readonly tracker = new OffsetTracker();
  private readonly router: TopicRouter;
  /** Per source: the server ids its first stage drops, whose records are decoded without rows. */
  private readonly decodeOptions = new Map<string, DecodeOptions>();
  private readonly rowLanes = new Map<string, string>();
  private readonly lanes = new Map<string, Lane>();
  private readonly assigned = new Map<string, TopicPartition>();
  private readonly maxInFlight: number;
  private readonly maxBatchRecords: number;
  private readonly stuckAfterMs: number;
  /** Wakes the loop waiting for room (maxInFlight); set while it waits. */
  private wakeLoop: (() => void) | undefined;
  private readonly policy: RetryPolicy;
  private readonly log: Logger;
  private readonly outages: Outages;
  private stopping = false;
  /** Set once the final commit is done (or failed): a revoke while disconnecting commits nothing more. */
  private closing = false;
  /** Records left undone because a stop request ended their wait. */
  private undone = 0;
  private failure: TandemError | undefined;
  private revoking: Promise<void> = Promise.resolve();
  private commitChain: Promise<void> = Promise.resolve();
  private readonly commitIntervalMs: number;
  private lastCommitAtMs = -Infinity;
  /** The commit that waits for commitIntervalMs to pass; set while one waits. */
  private commitTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private loop: LoopState = { running: false, lastTurnAtMs: 0 };
  /** Per partition: the offset after the last record handed to a lane. */
  private readonly dispatchedNext = new Map<string, bigint>();
  /** Schema changes held until their table's rows written before them have been read. */
  private deferred: DeferredDdl[] = [];
  /** Per partition: whether the group had no committed offset when it was assigned here. */
  private readonly fresh = new Map<string, Promise<boolean>>();
  private startedAtMs = Date.now();

  constructor(private readonly o: RuntimeOptions) {
    this.counters = o.counters ?? new Counters();
    this.router = new TopicRouter(o.pipeline.sources);
    for (const s of o.pipeline.sources) if (s.dropsServerIds) this.decodeOptions.set(s.name, { withoutRowsFrom: s.dropsServerIds });
    this.maxBatchRecords = o.maxBatchRecords ?? o.batchRows * 2;
    this.maxInFlight = o.maxInFlight ?? this.maxBatchRecords;
    this.stuckAfterMs = o.stuckAfterMs ?? 2000;
    this.commitIntervalMs = o.commitIntervalMs ?? 0;
    this.policy = o.retryPolicy ?? defaultRetryPolicy;
    this.log = o.logger;
    this.outages = o.outages ?? new Outages({ log: o.logger });

    o.consumer.setRebalanceHandler({
      onAssign: (parts) => this.onAssign(parts),
      onRevoke: (parts) => this.onRevoke(parts),
    });
    // An asynchronous commit that failed later (Kafka away): the next commit makes it again.
    o.consumer.onCommitFailed?.((offsets) => this.tracker.uncommit(offsets));
  }

  /**
   * Asks the loop to stop: no more fetching; what is in flight is finished and committed. A batch
   * waiting for a part that is down does not wait on: it is left undone, uncommitted, and read
   * again on the next start.
   */
  stop(): void {
    if (!this.stopping) this.log.info('stopping: finishing in-flight batches, then committing');
    this.stopping = true;
    this.abort.abort();
    this.wakeLoop?.();
  }

  /** Consumes until `stop()` or a fatal error; resolves after the final commit, rejects with the fatal error. */
  async run(): Promise<void> {
    this.startedAtMs = Date.now();
    this.o.consumer.subscribe(this.router.subscriptions());
    this.log.info('subscribed', { topics: this.router.subscriptions().map(String) });
    let committed: string | undefined;
    this.loop = { running: true, lastTurnAtMs: Date.now() };
    try {
      while (!this.stopping && !this.failure) {
        this.loop.lastTurnAtMs = Date.now();
        await this.revoking;
        if (this.movingPending() >= this.maxInFlight) {
          const heldFrom = performance.now();
          await this.waitForRoom();
          this.o.monitor?.heldBack?.(performance.now() - heldFrom);
          continue;
        }
        const waitFrom = performance.now();
        const records = await this.o.consumer.consume(this.o.batchRows);
        this.o.monitor?.polled?.(performance.now() - waitFrom, records.length);
        if (records.length > 0) await this.dispatch(records);
        else this.releaseDeferred(new Map());
      }
      await this.drain();
      clearTimeout(this.commitTimer);
      if (!this.failure) committed = await this.finalCommit();
    } finally {
      clearTimeout(this.commitTimer);
      this.loop.running = false;
      this.closing = true;
      this.abort.abort();
      await this.o.pipeline.close().catch((err: unknown) => this.log.error('closing the sinks failed', { err }));
      await this.o.deadLetters.close().catch((err: unknown) => this.log.error('closing the dead-letter producer failed', { err }));
      await this.o.consumer.disconnect().catch((err: unknown) => this.log.error('disconnecting the consumer failed', { err }));
    }
    if (this.failure) throw this.failure;
    const undone = this.undone > 0 ? `; ${this.undone} records not applied (their wait was cut short) are read again on the next start` : '';
    if (committed === undefined) this.log.warn(`stopped; the final offset commit failed, so records since the last commit are re-applied on the next start (no-ops)${undone}`);
    else this.log.info(`stopped cleanly; ${committed}${undone}`);
  }

  /** Commits every finished position; says what it committed, or undefined when the commit failed. */
  private async finalCommit(): Promise<string | undefined> {
    try {
      const n = await this.commit(true);
      return n === 0 ? 'nothing new to commit' : `offsets of ${n} partitions committed`;
    } catch (err) {
      this.log.error('final offset commit failed', { error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  }

  /** Records consumed and not committed, per source node, plus what the broker holds beyond them. */
  lag(): LagByDirection {
    const out: LagByDirection = {};
    for (const s of this.o.pipeline.sources) out[s.name] = 0;
    for (const p of this.partitionLag()) out[p.direction] += p.lag;
    return out;
  }

  /** The same lag per assigned partition (metrics). */
  partitionLag(): PartitionLag[] {
    const out: PartitionLag[] = [];
    for (const tp of this.assigned.values()) {
      const direction = this.router.sourceOf(tp.topic);
      if (!direction) continue;
      const high = this.o.consumer.highWatermark(tp.topic, tp.partition);
      const pos = this.tracker.position(tp.topic, tp.partition);
      out.push({ direction, topic: tp.topic, partition: tp.partition, lag: high !== null && pos !== null && high > pos ? Number(high - pos) : 0 });
    }
    return out;
  }

  /** The consume loop's state (liveness). */
  loopState(): LoopState {
    return { ...this.loop };
  }

  /** Whether records can be consumed now: the loop runs, the client is connected and Kafka is not waited for. */
  consumerState(): { ok: boolean; detail: string } {
    if (!this.loop.running) return { ok: false, detail: this.loop.lastTurnAtMs === 0 ? 'not started yet' : 'stopped' };
    if (this.o.consumer.connected?.() === false) return { ok: false, detail: 'the Kafka client is not connected' };
    const kafka = this.waitingFor().find((w) => w.what === KAFKA_PART);
    if (kafka) return { ok: false, detail: `waiting for Kafka: ${kafka.lastError}` };
    return { ok: true, detail: `connected; ${this.assigned.size} partitions assigned` };
  }

  /**
   * Hands the records to lanes. A lane is one table of one source (its row topic), so a table
   * waiting for a schema change or a slow ALTER holds back that table only. A schema change
   * (Debezium's schema-change topic, named like the topic prefix) is decoded here and joins the
   * lane of the table it changes, where it takes its binlog place among the rows.
   */
  private async dispatch(records: ConsumedRecord[]): Promise<void> {
    const batches = new Map<string, { source: string | null; records: ConsumedRecord[]; ready: Prepared[] }>();
    const live = records.filter((r) => this.assigned.has(partitionKey(r.topic, r.partition)));
    const countdown = this.beginRanges(live);
    const batchOf = (lane: string, source: string | null) => {
      let b = batches.get(lane);
      if (!b) batches.set(lane, (b = { source, records: [], ready: [] }));
      return b;
    };
    for (const r of live) {
      // Records of a partition being revoked (or already gone) belong to its next owner.
      const source = this.router.sourceOf(r.topic);
      if (source === null) {
        batchOf('(unrouted)', null).records.push(r);
      } else if (isSchemaChangeTopic(r.topic)) {
        const decoded = await this.decodeAll([r], undefined);
        const event = decoded.events[0];
        const rowTopic = event ? `${event.source.name}.${event.source.db}.${event.source.table}` : undefined;
        const lane = rowTopic ? laneName(source, rowTopic) : laneName(source, r.topic);
        const prepared = { record: r, event, deadLetters: decoded.deadLetters };
        const until = rowTopic ? this.unreadRows(rowTopic) : new Map<string, bigint>();
        if (until.size > 0 || this.deferred.some((d) => d.lane === lane)) {
          this.deferred.push({ prepared, lane, source, until, sinceMs: Date.now(), countdown });
        } else {
          batchOf(lane, source).ready.push(prepared);
        }
      } else {
        batchOf(this.rowLaneOf(source, r.topic), source).records.push(r);
      }
      const k = partitionKey(r.topic, r.partition);
      const next = r.offset + 1n;
      if ((this.dispatchedNext.get(k) ?? -1n) < next) this.dispatchedNext.set(k, next);
    }
    // A held schema change joins the batch whose rows reach the position it waited for: there it
    // takes its binlog place among them.
    const held = this.releaseDeferred(new Map([...batches].filter(([, b]) => b.source !== null).map(([lane, b]) => [lane, b.ready])));
    for (const [lane, b] of batches) {
      this.counters.add('recordsIn', b.records.length + b.ready.length, b.source ?? undefined);
      this.enqueue(lane, b.source, b.records, b.ready, (r) => (held.get(r) ?? countdown)(r));
    }
  }

  /**
   * A consumer group with no committed offsets reads its topics from their beginning, schema
   * changes of the past included. A TRUNCATE of the past would empty the other side's table now,
   * removing the rows it wrote since; it is left out (and said), while every later one is replayed.
   */
  private async withoutPastTruncates(events: ChangeEvent[]): Promise<ChangeEvent[]> {
    if (!events.some((e) => e.ddl?.tables[0]?.type === 'TRUNCATE')) return events;
    const out: ChangeEvent[] = [];
    for (const e of events) {
      const k = e.kafka ? partitionKey(e.kafka.topic, e.kafka.partition) : undefined;
      // The binlog stamps whole seconds, and the database's clock is not this host's: a margin.
      const past = e.ddl?.tables[0]?.type === 'TRUNCATE' && k !== undefined && e.source.tsMs < this.startedAtMs - PAST_MARGIN_MS && (await this.fresh.get(k)) === true;
      if (!past) {
        out.push(e);
        continue;
      }
      this.counters.add('skipped', 1);
      this.log.warn(`a TRUNCATE of ${e.source.table} from before this consumer group's first start is not replayed (it would empty the table on the other side now)`, {
        table: e.source.table,
        at: `${e.source.file}:${e.source.pos}`,
        tsMs: e.source.tsMs,
        hint: 'truncate the other side by hand if that is wanted',
      });
    }
    return out;
  }

  /**
   * The row partitions of `topic` this instance reads that hold records not handed to a lane yet,
   * with the offset to read up to (the high watermark now). Empty when all is read or unknown.
   */
  private unreadRows(topic: string): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const tp of this.assigned.values()) {
      if (tp.topic !== topic) continue;
      const high = this.o.consumer.highWatermark(tp.topic, tp.partition);
      const k = partitionKey(tp.topic, tp.partition);
      const next = this.dispatchedNext.get(k) ?? this.tracker.position(tp.topic, tp.partition);
      if (high !== null && high > 0n && (next === null || next < high)) out.set(k, high);
    }
    return out;
  }

  /**
   * Moves the held schema changes whose rows have been read into `ready` (the batch of their lane
   * in this dispatch), or into a batch of their own; in their order, per lane. Returns the
   * countdowns of the records it released (their ranges began in an earlier dispatch).
   */
  private releaseDeferred(ready: Map<string, Prepared[]>): Map<ConsumedRecord, (r: ConsumedRecord) => void> {
    const released = new Map<ConsumedRecord, (r: ConsumedRecord) => void>();
    if (this.deferred.length === 0) return released;
    const blocked = new Set<string>();
    const keep: DeferredDdl[] = [];
    for (const d of this.deferred) {
      const read = [...d.until].every(([k, until]) => {
        const next = this.dispatchedNext.get(k);
        if (next !== undefined) return next >= until;
        // Nothing read from it since it was assigned: maybe nothing is left; do not wait for ever.
        return Date.now() - d.sinceMs > DDL_DEFER_UNKNOWN_MS;
      });
      // A revoked row partition is read by its next owner: nothing to wait for here.
      const gone = [...d.until.keys()].every((k) => !this.assigned.has(k));
      if (blocked.has(d.lane) || !(read || gone)) {
        blocked.add(d.lane);
        keep.push(d);
        continue;
      }
      released.set(d.prepared.record, d.countdown);
      const batch = ready.get(d.lane);
      if (batch) batch.push(d.prepared);
      else this.enqueue(d.lane, d.source, [], [d.prepared], d.countdown);
    }
    this.deferred = keep;
    return released;
  }

  /**
   * Starts decoding now (pipelining) but applies strictly after the lane's previous batch; joins
   * the lane's waiting batch when there is one.
   */
  private enqueue(laneKey: string, source: string | null, records: ConsumedRecord[], ready: Prepared[], countdown: (r: ConsumedRecord) => void): void {
    let lane = this.lanes.get(laneKey);
    if (!lane) {
      lane = newLane(source);
      this.lanes.set(laneKey, lane);
    }
    lane.pending += records.length + ready.length;
    lane.queuedDdl.push(...ready.filter((p) => p.event));
    const decoded = source === null ? Promise.resolve(this.unroutedLetters(records)) : this.decodeAll(records, this.decodeOptions.get(source));
    decoded.catch(() => undefined); // observed through the lane's batch
    const chunk: Chunk = { records, ready, decoded, countdown, atMs: performance.now() };
    if (lane.next && lane.next.reduce((n, c) => n + c.records.length + c.ready.length, 0) < this.maxBatchRecords) {
      lane.next.push(chunk);
    } else {
      const batch = [chunk];
      const current = lane;
      lane.next = batch;
      const earlier = lane.tail;
      let queued = () => {};
      const handedOff = lane.queued.then(() => {
        if (current.next === batch) current.next = undefined;
        return this.runBatch(laneKey, current, batch, { earlier, queued });
      });
      lane.queued = new Promise<void>((resolve) => (queued = resolve));
      lane.tail = Promise.all([earlier, handedOff]).then(() => undefined);
    }
    this.flowControl();
  }

  /**
   * One batch of a lane: decoded, through the stages and sinks, dead letters and audits published;
   * never rejects. It runs once the lane's previous batch has given its sinks its rows; `queued`
   * says when this one has, and `earlier` when every earlier batch is finished (a schema change
   * waits for that).
   */
  private async runBatch(laneKey: string, lane: Lane, chunks: Chunk[], order: { earlier: Promise<void>; queued: () => void }): Promise<void> {
    const source = lane.source;
    const all = chunks.flatMap((c) => [...c.records, ...c.ready.map((p) => p.record)]);
    const ready = chunks.flatMap((c) => c.ready);
    const startedMs = performance.now();
    const running = { since: startedMs };
    try {
      if (this.failure || lane.abandoned) return;
      lane.running.push(running);
      const rows: Decoded = { events: [], deadLetters: [] };
      for (const c of chunks) {
        const d = await c.decoded;
        for (const e of d.events) rows.events.push(e);
        for (const l of d.deadLetters) rows.deadLetters.push(l);
      }
      // A schema change runs alone: the rows before it durable first, the rows after it not given out before it ran.
      if (ready.some((p) => p.event) || lane.queuedDdl.length > 0) await order.earlier;
      const decodedMs = performance.now();
      rows.events = await this.withoutPastTruncates(rows.events);
      const own = ready.filter((p) => p.event && !p.taken);
      for (const p of own) p.taken = true;
      lane.queuedDdl = lane.queuedDdl.filter((p) => !p.taken);
      const events = inBinlogOrder([...rows.events, ...own.map((p) => p.event as ChangeEvent)]);
      const outcome: PipelineOutcome = source !== null && events.length > 0 ? await this.apply(source, events, lane, order.queued) : { deadLetters: [], counters: {} };
      const appliedMs = performance.now();
      const letters = [...rows.deadLetters, ...ready.flatMap((p) => p.deadLetters), ...outcome.deadLetters.map((l) => withOriginalBytes(l, all))];
      if (letters.length > 0) {
        await withRetry(this.policy, () => this.untilStopped(this.o.deadLetters.publish(letters), 'publishing dead letters'), this.retryHooks('Kafka (dead-letter topic)'));
        for (const l of letters) this.log.warn('dead-lettered', { stage: l.stage, reason: l.reason, topic: l.kafka?.topic, partition: l.kafka?.partition, offset: l.kafka?.offset });
      }
      // Like dead letters, audit records are acknowledged before the batch's offsets can be committed.
      const audits = this.o.audits;
      const conflicts = outcome.audits ?? [];
      if (audits && conflicts.length > 0) await withRetry(this.policy, () => this.untilStopped(audits.publish(conflicts), 'publishing conflict audits'), this.retryHooks('Kafka (audit topic)'));
      const finishedMs = performance.now();
      this.counters.addAll(outcome.counters, source ?? undefined);
      this.counters.addNodes(outcome.nodes ?? {});
      this.counters.add('deadLettered', letters.length, source ?? undefined);
      const sinkMs = Math.min(outcome.sinkMs ?? 0, appliedMs - decodedMs);
      const timeline = {
        laneWaitMs: startedMs - Math.min(...chunks.map((c) => c.atMs)),
        decodeWaitMs: decodedMs - startedMs,
        stagesMs: appliedMs - decodedMs - sinkMs,
        sinkMs,
        publishMs: finishedMs - appliedMs,
      };
      const finishedAtMs = Date.now();
      this.o.monitor?.batch({
        direction: source,
        recordsByTopic: countByTopic(all),
        events,
        nodes: outcome.nodes ?? {},
        tables: outcome.tables ?? {},
        audits: conflicts,
        deadLetters: letters,
        applyMs: appliedMs - decodedMs,
        timeline,
        finishedAtMs,
      });
      if (this.log.enabled('debug')) this.log.debug('batch', batchTraceFields(source, all, timeline, finishedAtMs));
      for (const c of chunks) for (const r of [...c.records, ...c.ready.map((p) => p.record)]) c.countdown(r);
      lane.pending -= all.length;
      this.finished(lane, running);
      this.commitSoon();
    } catch (err) {
      if (err instanceof RetryStopped && this.stopping) {
        if (!lane.abandoned) this.log.info(`stop requested while ${laneKey} waited; its batch is left for the next start`, { waitingFor: err.context.stage, error: err.last.message });
        lane.abandoned = true;
        this.undone += all.length;
        return;
      }
      this.fail(err, laneKey);
    } finally {
      order.queued();
      this.finished(lane, running);
    }
  }

  /** A batch of the lane is no longer running (called again: no-op). */
  private finished(lane: Lane, running: { since: number }): void {
    const i = lane.running.indexOf(running);
    if (i < 0) return;
    lane.running.splice(i, 1);
    this.flowControl();
  }

  /**
   * Registers the consumed offsets with the tracker and returns what a lane calls per record it
   * finished: a partition's range is finished once every one of its records is (the records of
   * a schema-change topic go to several lanes).
   */
  private beginRanges(records: ConsumedRecord[]): (r: ConsumedRecord) => void {
    const ranges = new Map<string, { topic: string; partition: number; first: bigint; last: bigint; left: number; finish?: () => void }>();
    for (const r of records) {
      const k = partitionKey(r.topic, r.partition);
      const cur = ranges.get(k);
      if (cur) {
        cur.last = r.offset;
        cur.left++;
      } else ranges.set(k, { topic: r.topic, partition: r.partition, first: r.offset, last: r.offset, left: 1 });
    }
    for (const g of ranges.values()) g.finish = this.tracker.begin(g.topic, g.partition, g.first, g.last);
    return (r) => {
      const g = ranges.get(partitionKey(r.topic, r.partition));
      if (g && --g.left === 0) g.finish?.();
    };
  }

  /** The lane of a row topic's records: one string per topic, not one per record. */
  private rowLaneOf(source: string, topic: string): string {
    let lane = this.rowLanes.get(topic);
    if (lane === undefined) this.rowLanes.set(topic, (lane = laneName(source, topic)));
    return lane;
  }

  private async decodeAll(records: ConsumedRecord[], options: DecodeOptions | undefined): Promise<Decoded> {
    const events: ChangeEvent[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const r of records) {
      const input: DecoderRecord = { topic: r.topic, partition: r.partition, offset: r.offset.toString(), timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
      try {
        // Synchronous once the record's schemas are known: no promise per record on the hot path.
        let event = this.o.decoder.decodeCached?.(input, options);
        if (event === undefined) event = await this.decodeWaiting(input, options);
        if (event) events.push(event.kafka ? event : { ...event, kafka: coordinatesOf(input) });
      } catch (err) {
        if (kindOf(err) !== 'poison') throw err;
        deadLetters.push({ stage: 'decode', reason: err instanceof Error ? err.message : String(err), raw: { key: r.key, value: r.value, headers: r.headers }, kafka: coordinatesOf(input) });
      }
    }
    return { events, deadLetters };
  }

  /** The decode that fetches a schema: retried (with its hooks) only once an attempt failed. */
  private decodeWaiting(input: DecoderRecord, options: DecodeOptions | undefined): Promise<ChangeEvent | null> {
    return this.o.decoder.decode(input, options).catch((err: unknown) => {
      if (kindOf(err) !== 'retriable') throw err;
      return withRetry(this.policy, () => this.o.decoder.decode(input, options), this.retryHooks('schema registry'));
    });
  }

  private unroutedLetters(records: ConsumedRecord[]): Decoded {
    return {
      events: [],
      deadLetters: records.map((r) => ({
        stage: 'route',
        reason: `no source node of the topology reads topic ${r.topic}`,
        raw: { key: r.key, value: r.value, headers: r.headers },
        kafka: { topic: r.topic, partition: r.partition, offset: r.offset.toString(), timestamp: r.timestamp },
      })),
    };
  }

  private apply(source: string, events: ChangeEvent[], lane: Lane, queued: () => void) {
    let batch = events;
    // The sink names itself in its errors (mysql-b): that is the part waited for.
    return withRetry(
      this.policy,
      () => {
        // Each attempt first takes the schema changes that arrived meanwhile and belong before
        // some of its rows (a row waiting for its ALTER would otherwise wait for ever).
        const early = takeQueuedDdl(lane.queuedDdl, batch);
        if (early.length > 0) {
          batch = inBinlogOrder([...batch, ...early]);
          lane.queuedDdl = lane.queuedDdl.filter((p) => !p.taken);
        }
        // A batch with a schema change is not "given out" before it is done (see runBatch).
        return this.o.pipeline.runBatch(source, batch, batch.some(isSchemaChange) ? undefined : queued);
      },
      this.retryHooks((err) => err.context.stage ?? `sink of ${source}`),
    );
  }

  /** The one way the runtime waits for a part that is down (logged by `Outages`). */
  private retryHooks(what: string | ((err: TandemError) => string)) {
    return this.outages.hooks(what, this.abort.signal);
  }

  /**
   * `work`, unless a stop request comes first: then a retriable error, which withRetry turns into
   * RetryStopped (the batch is left undone and read again on the next start). For a publish: while
   * Kafka is away its delivery report takes up to message.timeout.ms, and a stop must not wait.
   */
  private untilStopped<T>(work: Promise<T>, what: string): Promise<T> {
    const signal = this.abort.signal;
    return new Promise<T>((resolve, reject) => {
      const stopped = () => reject(retriable(`stop requested while ${what} waited for Kafka`, { stage: 'kafka' }));
      if (signal.aborted) return stopped();
      signal.addEventListener('abort', stopped, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stopped));
    });
  }

  /** The parts this runtime is waiting for now (status line, health). */
  waitingFor(): Outage[] {
    return this.outages.current();
  }

  private fail(err: unknown, lane: string): void {
    if (this.failure) return;
    this.failure =
      err instanceof TandemError && err.kind === 'fatal'
        ? err
        : new TandemError('fatal', `${lane}: ${err instanceof Error ? err.message : String(err)}`, err instanceof TandemError ? err.context : {}, { cause: err });
    this.log.error('fatal error: stopping without committing anything more', { lane, error: this.failure.message, hint: this.failure.context.hint });
    this.stopping = true;
  }

  /** Records consumed and not finished in lanes that are not stuck. */
  private movingPending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (!lane.stuck) n += lane.pending;
    return n;
  }

  /** Until a batch finishes (flowControl wakes it) or ROOM_TICK_MS pass (a lane may be stuck by then). */
  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeLoop = undefined;
        this.flowControl();
        resolve();
      }, ROOM_TICK_MS);
      this.wakeLoop = () => {
        clearTimeout(timer);
        this.wakeLoop = undefined;
        resolve();
      };
    });
  }

  /**
   * Pauses the partitions of a lane whose batch is stuck (running longer than stuckAfterMs) and
   * resumes them once it moves again; wakes the loop when the moving lanes have room. A stuck lane
   * that a held schema change waits for is not paused: the change waits until its rows are read,
   * and a batch of the lane may be waiting for that change (a row written after an ALTER).
   */
  private flowControl(): void {
    const now = performance.now();
    for (const [name, lane] of this.lanes) {
      lane.stuck = lane.running.length > 0 && now - lane.running[0].since > this.stuckAfterMs;
      const pause = lane.stuck && !this.deferred.some((d) => d.lane === name);
      if (pause && !lane.paused) {
        lane.paused = true;
        this.o.consumer.pause(this.partitionsOf(name));
        this.log.info('paused: its batch waits', { lane: name.replace(LANE_SEP, ' '), inFlight: lane.pending, waitedMs: Math.round(now - (lane.running[0]?.since ?? now)) });
      } else if (!pause && lane.paused) {
        lane.paused = false;
        this.o.consumer.resume(this.partitionsOf(name));
        this.log.info('resumed', { lane: name.replace(LANE_SEP, ' '), inFlight: lane.pending });
      }
    }
    if (this.wakeLoop && this.movingPending() < this.maxInFlight) this.wakeLoop();
  }

  /** The partitions a lane reads: its table's row topic (a schema-change topic is never paused). */
  private partitionsOf(lane: string): TopicPartition[] {
    const topic = topicOfLane(lane);
    return [...this.assigned.values()].filter((tp) => tp.topic === topic);
  }

  /** Waits until every batch handed out so far to the lanes `which` picks (all by default) is finished (or the loop failed). */
  private async drain(which: (name: string, lane: Lane) => boolean = () => true): Promise<void> {
    const pick = () => [...this.lanes].filter(([name, lane]) => which(name, lane)).map(([, lane]) => lane);
    for (;;) {
      const lanes = pick();
      const tails = lanes.map((l) => l.tail);
      await Promise.all(tails);
      const now = pick();
      if (now.length === lanes.length && now.every((l, i) => l === lanes[i] && l.tail === tails[i])) break;
    }
    await this.commitChain;
  }

  /** Commits what is finished now, or once commitIntervalMs has passed since the last commit. */
  private commitSoon(): void {
    if (this.commitTimer) return;
    const waitMs = this.lastCommitAtMs + this.commitIntervalMs - performance.now();
    if (waitMs <= 0) return this.chainCommit();
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      if (!this.closing) this.chainCommit();
    }, waitMs);
  }

  private chainCommit(): void {
    this.lastCommitAtMs = performance.now();
    this.commitChain = this.commitChain.then(async () => void (await this.commit(false)));
  }

  /** Commits what is finished; resolves with the number of partitions committed. */
  private async commit(sync: boolean, filter?: (topic: string, partition: number) => boolean): Promise<number> {
    if (this.failure) return 0;
    const offsets = this.tracker.takeCommittable(filter, sync);
    if (offsets.length === 0) return 0;
    try {
      await this.o.consumer.commit(offsets, sync);
      this.log.debug('committed', { offsets: offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`) });
    } catch (err) {
      this.tracker.uncommit(offsets);
      this.log.warn('offset commit failed; will retry with the next commit', { error: err instanceof Error ? err.message : String(err) });
      if (sync) throw err;
    }
    return offsets.length;
  }

  private onAssign(parts: TopicPartition[]): void {
    for (const p of parts) this.assigned.set(partitionKey(p.topic, p.partition), p);
    const committed = this.o.consumer.committedOffsets?.(parts);
    if (committed) {
      committed.catch(() => undefined);
      for (const p of parts) {
        const k = partitionKey(p.topic, p.partition);
        this.fresh.set(k, committed.then((m) => m.has(k) && m.get(k) === null, () => false));
      }
    }
    this.log.info('partitions assigned', { partitions: parts.map((p) => `${p.topic}[${p.partition}]`) });
    // A lane that is paused stays paused on its new partitions too. librdkafka keeps a pause made
    // before the partition was revoked: the others are resumed, or they would never be fetched.
    const paused = parts.filter((p) => {
      const s = this.router.sourceOf(p.topic);
      return s !== null && this.lanes.get(laneName(s, p.topic))?.paused === true;
    });
    const moving = parts.filter((p) => !paused.includes(p));
    if (paused.length > 0) this.o.consumer.pause(paused);
    if (moving.length > 0) this.o.consumer.resume(moving);
  }

  private onRevoke(parts: TopicPartition[]): Promise<void> {
    for (const p of parts) this.assigned.delete(partitionKey(p.topic, p.partition));
    const keys = new Set(parts.map((p) => partitionKey(p.topic, p.partition)));
    for (const k of keys) this.dispatchedNext.delete(k);
    // Held schema changes of a revoked schema-change partition are its next owner's (uncommitted).
    this.deferred = this.deferred.filter((d) => !keys.has(partitionKey(d.prepared.record.topic, d.prepared.record.partition)));
    // Only the lanes that hold records of these partitions: a table waiting for its database does
    // not hold up a rebalance of the others. A schema-change partition's records join any lane of its source.
    const topics = new Set(parts.map((p) => p.topic));
    const sources = new Set(parts.filter((p) => isSchemaChangeTopic(p.topic)).map((p) => this.router.sourceOf(p.topic)));
    const done = (async () => {
      await this.drain((name, lane) => lane.source === null || topics.has(topicOfLane(name)) || sources.has(lane.source));
      // Closing: run() made the final commit already; the consumer is going away.
      if (this.closing) {
        this.tracker.forget(parts);
        return;
      }
      try {
        await this.commit(true, (t, p) => keys.has(partitionKey(t, p)));
      } catch (err) {
        this.log.error('commit before revoke failed; the next owner re-applies those records (idempotent)', { error: err instanceof Error ? err.message : String(err) });
      }
      this.tracker.forget(parts);
      this.log.info('partitions revoked after flush and commit', { partitions: parts.map((p) => `${p.topic}[${p.partition}]`) });
    })();
    this.revoking = done.catch(() => undefined);
    return done;
  }
}

const coordinatesOf = (r: DecoderRecord) => ({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp });

function countByTopic(records: readonly ConsumedRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.topic] = (out[r.topic] ?? 0) + 1;
  return out;
}

/** A stage or sink refused a decoded event: the dead-letter record still carries the original bytes. */
function withOriginalBytes(letter: DeadLetter, records: readonly ConsumedRecord[]): DeadLetter {
  const at = letter.kafka ?? letter.event?.kafka;
  if (letter.raw || !at) return letter;
  const r = records.find((x) => x.topic === at.topic && x.partition === at.partition && x.offset.toString() === at.offset);
  return r ? { ...letter, kafka: at, raw: { key: r.key, value: r.value, headers: r.headers } } : { ...letter, kafka: at };
}
