// node-rdkafka's KafkaConsumer behind ConsumerPort. Rebalances are handled by hand so that
// partitions are given up only after their finished records are committed.
import { KafkaConsumer, type ConsumerTopicConfig, type LibrdKafkaError, type Message, type TopicPartition as RdTopicPartition, type TopicPartitionOffset } from 'node-rdkafka';
import { TandemError, defaultRetryPolicy, fatal, retriable, withRetry, type RetryHooks, type RetryPolicy } from '../errors';
import type { Headers } from '../model';
import type { Logger, Outages } from '../observe';
import type { KafkaSettings } from './kafka-config';
import { CoordinatorWatch, groupStateOf } from './coordinator-watch';
import { KAFKA_PART } from './kafka-part';
import { partitionKey, type CommitOffset } from './offset-tracker';
import type { ConsumedRecord, ConsumerPort, RebalanceHandler, TopicPartition } from './ports';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

/** librdkafka errors: fatal ones stop Tandem, the rest (transport, timeouts) are retried. */
export function classifyKafkaError(err: LibrdKafkaError, what: string): TandemError {
  const text = `${what}: ${err.message} (code ${err.code})`;
  const hint = 'check TANDEM_BROKERS and the TANDEM_RDKAFKA_* security settings; is the broker up?';
  return err.isFatal ? fatal(text, { stage: 'kafka', hint }, err) : retriable(text, { stage: 'kafka', hint }, err);
}

/** What connectFresh needs of a node-rdkafka client. */
interface Connectable {
  connect(options: { timeout: number }, cb: (err: LibrdKafkaError) => void): unknown;
  disconnect(cb?: () => void): unknown;
}

/**
 * Connects a new client per attempt, waiting with `policy` as long as the brokers do not answer.
 * node-rdkafka registers a client's callbacks again on each connect(), so a client connected on a
 * second try would see every rebalance and log line twice: a failed client is dropped instead.
 */
export function connectFresh<C extends Connectable>(make: () => C, what: string, policy: RetryPolicy, hooks: RetryHooks): Promise<C> {
  return withRetry(
    policy,
    () =>
      new Promise<C>((resolve, reject) => {
        const client = make();
        client.connect({ timeout: 10_000 }, (err) => {
          if (!err) return resolve(client);
          client.disconnect(() => undefined);
          reject(classifyKafkaError(err, what));
        });
      }),
    hooks,
  );
}

/**
 * librdkafka's own log lines go to Tandem's log at debug level: with TANDEM_LOG_LEVEL=debug and
 * TANDEM_RDKAFKA_DEBUG=cgrp (or other librdkafka debug contexts) they tell a rebalance's story.
 */
export function forwardClientLog(client: { name?: string; on(event: 'event.log', cb: (line: { severity: number; fac: string; message: string }) => void): unknown }, log: Logger): void {
  client.on('event.log', (line) => log.debug('librdkafka', { client: client.name, severity: line.severity, fac: line.fac, message: line.message }));
}

/** A message's headers as Tandem keeps them (one map). */
export function headersOf(msg: Message): Headers {
  const out: Headers = {};
  for (const h of msg.headers ?? []) for (const [k, v] of Object.entries(h)) out[k] = v;
  return out;
}

export function keyOf(msg: Message): Buffer | null {
  if (msg.key === undefined || msg.key === null) return null;
  return typeof msg.key === 'string' ? Buffer.from(msg.key) : msg.key;
}

/** How long one consume call waits for a first record (the loop comes round at least this often). */
const CONSUME_WAIT_MS = 200;
/** After the first record, the wait for each next one: only what is fetched already is taken. */
const QUEUED_WAIT_MS = 1;

/** librdkafka's codes for "the brokers cannot be reached" (transport, all down, name resolution). */
const UNREACHABLE = new Set([-195, -187, -193, -185]);

export interface RdkafkaConsumerOptions {
  policy?: RetryPolicy;
  outages?: Outages;
  /**
   * How long the client may be without its group coordinator before it is replaced by a new one
   * (TANDEM_COORDINATOR_WAIT; coordinator-watch.ts says why); default 60 s.
   */
  coordinatorWaitMs?: number;
}

export class RdkafkaConsumer implements ConsumerPort {
  private handler: RebalanceHandler | undefined;
  private commitFailed: ((offsets: readonly CommitOffset[]) => void) | undefined;
  private readonly reported = new Set<string>();
  /** The current client: set by each connect attempt (connect() makes the first before returning the port). */
  private consumer!: KafkaConsumer;
  private probe: NodeJS.Timeout | undefined;
  private readonly policy: RetryPolicy;
  private readonly outages: Outages | undefined;
  private readonly watch: CoordinatorWatch;
  /** What subscribe() was given, for a replacement client. */
  private topics: string[] = [];
  /** The partitions the current client owns (its rebalance callbacks), revoked before it is replaced. */
  private readonly owned = new Map<string, TopicPartition>();
  /** Set while a wedged client is being replaced: consume waits for the new one. */
  private replacing: Promise<void> | undefined;
  private closed = false;
  private readonly stopped = new AbortController();

  /** From the configured strategy: rebalanceProtocol() says NONE until the first assignment. */
  private readonly cooperative: boolean;

  private constructor(private readonly settings: KafkaSettings, private readonly log: Logger, o: RdkafkaConsumerOptions) {
    this.cooperative = String(settings['partition.assignment.strategy'] ?? '').includes('cooperative');
    this.policy = o.policy ?? defaultRetryPolicy;
    this.outages = o.outages;
    this.watch = new CoordinatorWatch(o.coordinatorWaitMs ?? 60_000);
  }

  /** A librdkafka consumer whose callbacks act only while it is the current one. */
  private newClient(): KafkaConsumer {
    // node-rdkafka's topic config replaces librdkafka's default one, so topic-level keys set in
    // the global config would be ignored: they go in the topic config.
    const { 'auto.offset.reset': reset, ...global } = this.settings;
    const current = () => client === this.consumer;
    const client: KafkaConsumer = new KafkaConsumer(
      {
        ...global,
        rebalance_cb: (err: LibrdKafkaError, assignment: RdTopicPartition[]) => {
          if (current()) this.rebalance(err, assignment);
          else this.release(client, err, assignment);
        },
        offset_commit_cb: (err: LibrdKafkaError | undefined, parts: TopicPartitionOffset[] | undefined) => {
          if (!err || !current()) return;
          this.log.warn('offset commit failed; it is made again with the next commit', { error: err.message });
          const failed = (parts ?? []).filter((p) => p.offset >= 0);
          this.commitFailed?.(failed.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.offset) })));
        },
      },
      reset === undefined ? {} : { 'auto.offset.reset': String(reset) as ConsumerTopicConfig['auto.offset.reset'] },
    );
    forwardClientLog(client, this.log);
    client.on('event.stats', (report: unknown) => {
      if (!current() || this.replacing || this.closed) return;
      const lostMs = this.watch.observe(groupStateOf(report), Date.now());
      if (lostMs !== undefined) this.replace(lostMs);
    });
    let lastLogged = 0;
    client.on('event.error', (err: LibrdKafkaError) => {
      if (!current()) return;
      // librdkafka reconnects by itself; while no broker answers, Tandem waits with its offsets held.
      if (UNREACHABLE.has(err.code) && this.outages) {
        this.outages.failed(KAFKA_PART, `${err.message} (code ${err.code})`, 'librdkafka reconnects by itself; check that the brokers are up');
        this.watchForRecovery();
        return;
      }
      const now = Date.now();
      if (now - lastLogged > 5000) {
        lastLogged = now;
        this.log.warn('kafka client error; librdkafka keeps retrying', { error: err.message, code: err.code });
      }
    });
    return client;
  }

  /** Connects, waiting (with `outages` saying so) for as long as the brokers are unreachable. */
  static async connect(settings: KafkaSettings, log: Logger, o: RdkafkaConsumerOptions = {}): Promise<RdkafkaConsumer> {
    const port = new RdkafkaConsumer(settings, log, o);
    await port.connectNew();
    return port;
  }

  /** Makes a new client the current one and connects it (a new one per attempt); `signal` ends the wait. */
  private async connectNew(signal?: AbortSignal): Promise<void> {
    const { log, outages } = this;
    const hooks: RetryHooks = outages ? outages.hooks(KAFKA_PART, signal) : { signal, onRetry: (err, attempt, delayMs) => log.warn('Kafka unreachable, retrying', { attempt, delayMs, error: err.message }) };
    await connectFresh(() => (this.consumer = this.newClient()), `connecting to Kafka at ${String(this.settings['metadata.broker.list'])}`, this.policy, hooks);
  }

  /**
   * Gives up a client that has been without its group coordinator for too long: its partitions
   * are revoked (the runtime finishes their batches; their commit fails, so the next owner
   * re-applies them, idempotent), and a new client joins the group with the same subscription.
   */
  private replace(lostMs: number): void {
    const old = this.consumer;
    this.log.warn(`the Kafka consumer has had no group coordinator for ${Math.round(lostMs / 1000)} s; replacing it with a new client`, {
      hint: 'a librdkafka client can stay wedged after a broker restart (confluentinc/librdkafka#5511); TANDEM_COORDINATOR_WAIT sets this wait',
    });
    this.replacing = (async () => {
      const parts = [...this.owned.values()];
      this.owned.clear();
      if (parts.length > 0) await this.handler?.onRevoke(parts).catch((e: unknown) => this.log.error('flushing before replacing the Kafka consumer failed', { error: e instanceof Error ? e.message : String(e) }));
      // From here on the old client's callbacks are not the runtime's (release() answers them).
      this.consumer = this.newClient();
      // It leaves the group when it can; a wedged one may never answer: it is not waited for.
      try {
        old.unsubscribe();
      } catch {
        // not subscribed any more
      }
      old.disconnect(() => undefined);
      // A stop request ends the wait for Kafka (the process must be able to exit).
      await this.connectNew(this.stopped.signal);
      if (this.closed) return void this.consumer.disconnect(() => undefined);
      if (this.topics.length > 0) this.consumer.subscribe(this.topics);
      // The wait for a coordinator starts again from the subscription (not from the first report
      // of a client that was still connecting).
      this.watch.reset();
      this.log.info('the new Kafka consumer is connected and subscribed');
    })()
      .catch((e: unknown) => {
        if (!this.closed) this.log.error('replacing the Kafka consumer failed', { error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => {
        this.replacing = undefined;
      });
  }

  /** While Kafka is unreachable, asks for metadata every 2 s: the first answer ends the wait. */
  private watchForRecovery(): void {
    if (this.probe) return;
    this.probe = setInterval(() => {
      if (!this.consumer.isConnected()) return;
      this.consumer.getMetadata({ timeout: 2000 }, (err) => {
        if (err || !this.probe) return;
        clearInterval(this.probe);
        this.probe = undefined;
        this.outages?.recovered(KAFKA_PART);
      });
    }, 2000);
    this.probe.unref();
  }

  onCommitFailed(handler: (offsets: readonly CommitOffset[]) => void): void {
    this.commitFailed = handler;
  }

  setRebalanceHandler(handler: RebalanceHandler): void {
    this.handler = handler;
  }

  /**
   * A replaced client's rebalances get librdkafka's default answer and nothing else: left
   * unanswered, its group could not finish a rebalance (nor let it leave) until its session
   * timed out, and the new client would wait that long for partitions.
   */
  private release(client: KafkaConsumer, err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    try {
      if (err.code === ERR_ASSIGN_PARTITIONS) {
        if (this.cooperative) client.incrementalAssign(assignment);
        else client.assign(assignment);
      } else if (err.code === ERR_REVOKE_PARTITIONS) {
        if (this.cooperative) client.incrementalUnassign(assignment);
        else client.unassign();
      }
    } catch {
      // It is going away either way.
    }
  }

  private rebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    const cooperative = this.cooperative;
    const parts = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      try {
        if (cooperative) this.consumer.incrementalAssign(assignment);
        else this.consumer.assign(assignment);
      } catch (e) {
        // node-rdkafka throws its LibrdKafkaError, which is not an Error.
        this.log.error('assign failed', { error: String((e as { message?: unknown } | null)?.message ?? e), code: (e as { code?: unknown } | null)?.code, partitions: parts.map((p) => `${p.topic}[${p.partition}]`) });
        return;
      }
      for (const p of parts) this.owned.set(partitionKey(p.topic, p.partition), p);
      this.handler?.onAssign(parts);
    } else if (err.code === ERR_REVOKE_PARTITIONS) {
      for (const p of parts) this.owned.delete(partitionKey(p.topic, p.partition));
      // librdkafka holds the rebalance until (incremental)unassign is called: flush and commit first.
      const revoke = this.handler ? this.handler.onRevoke(parts) : Promise.resolve();
      void revoke
        .catch((e: unknown) => this.log.error('flushing before revoke failed', { error: e instanceof Error ? e.message : String(e) }))
        .finally(() => {
          try {
            if (cooperative) this.consumer.incrementalUnassign(assignment);
            else this.consumer.unassign();
          } catch (e) {
            if (this.consumer.isConnected()) this.log.error('unassign failed', { error: e instanceof Error ? e.message : String(e) });
          }
        });
    } else {
      this.log.error('rebalance error', { error: err.message, code: err.code });
    }
  }

  subscribe(topics: readonly (string | RegExp)[]): void {
    // librdkafka takes patterns as strings starting with ^.
    this.topics = topics.map((t) => (typeof t === 'string' ? t : t.source.startsWith('^') ? t.source : `^${t.source}`));
    this.consumer.subscribe(this.topics);
  }

  /**
   * Waits up to CONSUME_WAIT_MS for the first record, then takes only what librdkafka holds
   * already. node-rdkafka's consume(n) waits up to its timeout for every record until it has n:
   * under a steady trickle (2k rows/s) a call could gather for half a second.
   */
  async consume(max: number): Promise<ConsumedRecord[]> {
    // While a new client connects, the loop still comes round (a stop request, the status line).
    if (this.replacing) {
      await Promise.race([this.replacing, new Promise((r) => setTimeout(r, CONSUME_WAIT_MS))]);
      return [];
    }
    const first = await this.consumeUpTo(1, CONSUME_WAIT_MS);
    if (first.length === 0 || max <= 1) return first;
    return [...first, ...(await this.consumeUpTo(max - 1, QUEUED_WAIT_MS))];
  }

  private consumeUpTo(max: number, timeoutMs: number): Promise<ConsumedRecord[]> {
    const client = this.consumer;
    client.setDefaultConsumeTimeout(timeoutMs);
    return new Promise((resolve, reject) => {
      client.consume(max, (err, messages) => {
        if (err) {
          const e = classifyKafkaError(err, 'consuming');
          if (e.kind === 'fatal') return reject(e);
          // Topics Debezium has not created yet answer "unknown topic" on every poll: say it once.
          if (!this.reported.has(err.message)) this.log.warn('consume error; librdkafka keeps retrying', { error: err.message });
          this.reported.add(err.message);
          return resolve([]);
        }
        resolve(
          messages.map((m) => ({
            topic: m.topic,
            partition: m.partition,
            offset: BigInt(m.offset),
            timestamp: m.timestamp ?? 0,
            key: keyOf(m),
            value: m.value,
            headers: headersOf(m),
          })),
        );
      });
    });
  }

  async commit(offsets: readonly CommitOffset[], sync: boolean): Promise<void> {
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) }));
    // Without a coordinator a synchronous commit blocks the event loop until librdkafka gives up
    // (45 s were seen), and fails: it is not tried.
    if (sync && !this.watch.hasCoordinator()) throw retriable('committing offsets: the consumer has no group coordinator now', { stage: 'kafka' });
    if (sync) this.consumer.commitSync(list);
    else this.consumer.commit(list);
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.pause([...partitions]);
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.resume([...partitions]);
  }

  connected(): boolean {
    return this.consumer.isConnected();
  }

  committedOffsets(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>> {
    return new Promise((resolve, reject) => {
      this.consumer.committed(
        partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
        10_000,
        (err, offsets) => {
          if (err) return reject(classifyKafkaError(err, 'reading committed offsets'));
          // librdkafka answers OFFSET_INVALID (-1001) for a partition the group never committed.
          resolve(new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), typeof o.offset === 'number' && o.offset >= 0 ? BigInt(o.offset) : null])));
        },
      );
    });
  }

  highWatermark(topic: string, partition: number): bigint | null {
    try {
      const w = this.consumer.getWatermarkOffsets(topic, partition);
      return w.highOffset >= 0 ? BigInt(w.highOffset) : null;
    } catch {
      return null;
    }
  }

  disconnect(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    return new Promise((resolve) => {
      if (!this.consumer.isConnected()) return resolve();
      this.consumer.disconnect(() => resolve());
    });
  }
}
