// node-rdkafka's KafkaConsumer behind ConsumerPort. Rebalances are handled by hand so that
// partitions are given up only after their finished records are committed.
import { KafkaConsumer, type ConsumerTopicConfig, type LibrdKafkaError, type Message, type TopicPartition as RdTopicPartition, type TopicPartitionOffset } from 'node-rdkafka';
import { TandemError, defaultRetryPolicy, fatal, retriable, withRetry, type RetryPolicy } from '../errors';
import type { Headers } from '../model';
import type { Logger, Outages } from '../observe';
import type { KafkaSettings } from './kafka-config';
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

export class RdkafkaConsumer implements ConsumerPort {
  private handler: RebalanceHandler | undefined;
  private commitFailed: ((offsets: readonly CommitOffset[]) => void) | undefined;
  private readonly reported = new Set<string>();
  private consumer: KafkaConsumer;
  private probe: NodeJS.Timeout | undefined;

  /** From the configured strategy: rebalanceProtocol() says NONE until the first assignment. */
  private readonly cooperative: boolean;

  private constructor(settings: KafkaSettings, private readonly log: Logger, private readonly outages?: Outages) {
    this.cooperative = String(settings['partition.assignment.strategy'] ?? '').includes('cooperative');
    // node-rdkafka's topic config replaces librdkafka's default one, so topic-level keys set in
    // the global config would be ignored: they go in the topic config.
    const { 'auto.offset.reset': reset, ...global } = settings;
    this.consumer = new KafkaConsumer(
      {
        ...global,
        rebalance_cb: (err: LibrdKafkaError, assignment: RdTopicPartition[]) => this.rebalance(err, assignment),
        offset_commit_cb: (err: LibrdKafkaError | undefined, parts: TopicPartitionOffset[] | undefined) => {
          if (!err) return;
          this.log.warn('offset commit failed; it is made again with the next commit', { error: err.message });
          const failed = (parts ?? []).filter((p) => p.offset >= 0);
          this.commitFailed?.(failed.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.offset) })));
        },
      },
      reset === undefined ? {} : { 'auto.offset.reset': String(reset) as ConsumerTopicConfig['auto.offset.reset'] },
    );
    let lastLogged = 0;
    this.consumer.on('event.error', (err: LibrdKafkaError) => {
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
  }

  /** Connects, waiting (with `outages` saying so) for as long as the brokers are unreachable. */
  static async connect(settings: KafkaSettings, log: Logger, policy: RetryPolicy = defaultRetryPolicy, outages?: Outages): Promise<RdkafkaConsumer> {
    const port = new RdkafkaConsumer(settings, log, outages);
    await withRetry(
      policy,
      () =>
        new Promise<void>((resolve, reject) => {
          port.consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(classifyKafkaError(err, `connecting to Kafka at ${String(settings['metadata.broker.list'])}`)) : resolve()));
        }),
      outages ? outages.hooks(KAFKA_PART) : { onRetry: (err, attempt, delayMs) => log.warn('Kafka unreachable, retrying', { attempt, delayMs, error: err.message }) },
    );
    return port;
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

  private rebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    const cooperative = this.cooperative;
    const parts = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      try {
        if (cooperative) this.consumer.incrementalAssign(assignment);
        else this.consumer.assign(assignment);
      } catch (e) {
        this.log.error('assign failed', { error: e instanceof Error ? e.message : String(e) });
        return;
      }
      this.handler?.onAssign(parts);
    } else if (err.code === ERR_REVOKE_PARTITIONS) {
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
    this.consumer.subscribe(topics.map((t) => (typeof t === 'string' ? t : t.source.startsWith('^') ? t.source : `^${t.source}`)));
  }

  /**
   * Waits up to CONSUME_WAIT_MS for the first record, then takes only what librdkafka holds
   * already. node-rdkafka's consume(n) waits up to its timeout for every record until it has n:
   * under a steady trickle (2k rows/s) a call could gather for half a second.
   */
  async consume(max: number): Promise<ConsumedRecord[]> {
    const first = await this.consumeUpTo(1, CONSUME_WAIT_MS);
    if (first.length === 0 || max <= 1) return first;
    return [...first, ...(await this.consumeUpTo(max - 1, QUEUED_WAIT_MS))];
  }

  private consumeUpTo(max: number, timeoutMs: number): Promise<ConsumedRecord[]> {
    this.consumer.setDefaultConsumeTimeout(timeoutMs);
    return new Promise((resolve, reject) => {
      this.consumer.consume(max, (err, messages) => {
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
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    return new Promise((resolve) => {
      if (!this.consumer.isConnected()) return resolve();
      this.consumer.disconnect(() => resolve());
    });
  }
}
