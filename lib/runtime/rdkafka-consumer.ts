// node-rdkafka's KafkaConsumer behind ConsumerPort. Rebalances are handled by hand so that
// partitions are given up only after their finished records are committed.
import { KafkaConsumer, type ConsumerTopicConfig, type LibrdKafkaError, type Message, type TopicPartition as RdTopicPartition, type TopicPartitionOffset } from 'node-rdkafka';
import { TandemError, defaultRetryPolicy, fatal, retriable, withRetry, type RetryHooks, type RetryPolicy } from '../errors';
import type { Headers } from '../model';
import type { Logger, Outages } from '../observe';
import type { KafkaSettings } from './kafka-config';
import { CoordinatorWatch, groupStateOf } from './coordinator-watch';
import { KAFKA_PART } from './kafka-part';
import { closeWithin, kafkaLeftovers } from './kafka-leftovers';
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

/**
 * How long a synchronous commit (before a revoke, the final one) waits for Kafka to confirm it.
 * node-rdkafka's commitSync() blocks the event loop until librdkafka answers: 45 s when the broker
 * went away just before a stop (signals, the status page and every timer wait with it).
 */
const COMMIT_CONFIRM_MS = 10_000;
/** How long a stop waits for the consumer to close (leave its group): kafka-leftovers.ts says why it is bounded. */
export const CLOSE_WAIT_MS = 15_000;

/** librdkafka's codes for "the brokers cannot be reached" (transport, all down, name resolution, timed out). */
const UNREACHABLE = new Set([-195, -187, -193, -185]);
/**
 * The same errors as node-rdkafka hands a client's errors (event.error) over: without their code
 * (-1), as librdkafka's text lowercased after its "Local: ".
 */
const UNREACHABLE_TEXT = new Set(['broker transport failure', 'all broker connections are down', 'host resolution failure', 'timed out']);

/** Whether a librdkafka error says that no broker can be reached now. */
export function isUnreachable(err: { code?: number; message: string }): boolean {
  return (err.code !== undefined && UNREACHABLE.has(err.code)) || UNREACHABLE_TEXT.has(err.message.replace(/^local: /i, '').toLowerCase());
}

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
  /** Set when librdkafka says no broker can be reached, cleared by the first metadata answer after. */
  private unreachable = false;
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
      if (isUnreachable(err)) {
        this.unreachable = true;
        this.watchForRecovery();
        if (this.outages) return this.outages.failed(KAFKA_PART, err.code === -1 ? err.message : `${err.message} (code ${err.code})`, 'librdkafka reconnects by itself; check that the brokers are up');
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
   * The old one is unsubscribed and left open, not closed: its close would wait for the
   * coordinator it cannot find, on one of Node's worker threads, and hold the process's exit
   * for ever (kafka-leftovers.ts). Its threads stay until the process ends.
   */
  private replace(lostMs: number): void {
    const old = this.consumer;
    this.log.warn(`the Kafka consumer has had no group coordinator for ${Math.round(lostMs / 1000)} s; replacing it with a new client`, {
      hint: 'a librdkafka client can stay wedged after a broker restart (confluentinc/librdkafka#5511); TANDEM_COORDINATOR_WAIT sets this wait; the old client is left open, not closed (its close could wait for ever)',
    });
    this.replacing = (async () => {
      const parts = [...this.owned.values()];
      this.owned.clear();
      if (parts.length > 0) await this.handler?.onRevoke(parts).catch((e: unknown) => this.log.error('flushing before replacing the Kafka consumer failed', { error: e instanceof Error ? e.message : String(e) }));
      // From here on the old client's callbacks are not the runtime's (release() answers them).
      this.consumer = this.newClient();
      try {
        old.unsubscribe();
      } catch {
        // not subscribed any more
      }
      kafkaLeftovers.leftOpen++;
      // A stop request ends the wait for Kafka (the process must be able to exit).
      await this.connectNew(this.stopped.signal);
      if (this.closed) return void (await this.close());
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
        this.unreachable = false;
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

  /**
   * A synchronous commit is an asynchronous one confirmed by reading the group's committed
   * offsets back (same coordinator, after it), within COMMIT_CONFIRM_MS: the event loop never
   * waits on librdkafka.
   */
  async commit(offsets: readonly CommitOffset[], sync: boolean): Promise<void> {
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) }));
    // A commit made while no broker answers waits in librdkafka for a coordinator, and so does
    // the consumer's close (up to session.timeout.ms): it is not made; the next one carries it.
    if (this.unreachable) throw retriable('committing offsets: Kafka is unreachable now', { stage: 'kafka' });
    // Without a coordinator it could only fail, after the whole wait.
    if (sync && !this.watch.hasCoordinator()) throw retriable('committing offsets: the consumer has no group coordinator now', { stage: 'kafka' });
    this.consumer.commit(list);
    if (sync) await this.confirmCommitted(offsets);
  }

  private async confirmCommitted(offsets: readonly CommitOffset[]): Promise<void> {
    const deadline = Date.now() + COMMIT_CONFIRM_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw retriable(`committing offsets: Kafka did not confirm the commit within ${COMMIT_CONFIRM_MS / 1000} s`, { stage: 'kafka' });
      const committed = await this.committedOffsets(offsets, left);
      if (offsets.every((o) => (committed.get(partitionKey(o.topic, o.partition)) ?? -1n) >= o.offset)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
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

  committedOffsets(partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<Map<string, bigint | null>> {
    return new Promise((resolve, reject) => {
      this.consumer.committed(
        partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
        Math.max(1, Math.round(timeoutMs)),
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
    return this.close();
  }

  /**
   * Closes the current client (it leaves the group), waiting at most CLOSE_WAIT_MS; a client
   * without a broker or a coordinator is left open instead, as a replaced one is: its close would
   * wait for the coordinator (and for commits it holds) on a worker thread of Node's.
   */
  private async close(): Promise<void> {
    const client = this.consumer;
    if (!client.isConnected()) return;
    if (this.unreachable || !this.watch.hasCoordinator()) {
      kafkaLeftovers.leftOpen++;
      this.log.info(`the Kafka consumer is left open, not closed: ${this.unreachable ? 'no broker answers' : 'it has no group coordinator'}; its group drops it after session.timeout.ms`);
      return;
    }
    if (await closeWithin((done) => client.disconnect(() => done()), CLOSE_WAIT_MS)) return;
    this.log.warn(`the Kafka consumer did not close within ${CLOSE_WAIT_MS / 1000} s; stopping without it`, {
      hint: 'its group drops it after session.timeout.ms; what was not committed is re-applied on the next start (idempotent)',
    });
  }
}
