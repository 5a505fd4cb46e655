import { loadConfig, type TandemConfig } from '../config';
import { DebeziumDecoder, DebeziumEncoder } from '../debezium';
import type { NodeCounters, Topology, TopologyDefinition } from '../dsl';
import { Executor, sinksByName } from '../executor';
import { TandemError } from '../errors';
import { LocalDateTime, type ChangeEvent, type ConflictRecord, type DeadLetter, type Headers, type KafkaRecord, type Sink, type SinkWriteResult } from '../model';
import { InMemorySchemaRegistry } from '../registry';
import { InMemoryDatabase, type ColumnDeclaration } from './in-memory-database';

export interface TopologyTestDriverOptions {
  /** Default: the built-in defaults (not the process environment, so tests are reproducible). */
  config?: TandemConfig;
  /** Server id of each in-memory database's application writes; default 1, 2, ... in config order. */
  serverIds?: Readonly<Record<string, number>>;
  /**
   * Batch like the runtime: records wait until `batchRows` are pending for a source or
   * `advanceTime` passes `lingerMs`. Without it every `pipeInput` is processed at once.
   */
  lingerMs?: number;
  batchRows?: number;
  /** The clock's start, a DATETIME literal (default `2026-01-01 00:00:00`). */
  startTime?: string;
  /** Column types per table for every in-memory database (see `InMemoryDatabaseOptions.columns`). */
  columns?: Readonly<Record<string, readonly ColumnDeclaration[]>>;
  /** The sinks standing for the topology's `providedSink(name)`s, by name (e.g. `captureSink`). */
  sinks?: readonly Sink[];
}

/** What reached one sink node. */
export interface SinkOutput {
  events: ChangeEvent[];
  results: SinkWriteResult[];
}

interface Pending {
  topic: string;
  event: ChangeEvent;
  atMicros: bigint;
}

/** Feeds one topic of the driver, like Kafka Streams' TestInputTopic. */
export class TestInputTopic {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
  ) {}

  /** Adds change events to the topic; without linger they are processed before this resolves. */
  async pipeInput(events: ChangeEvent | readonly ChangeEvent[]): Promise<void> {
    for (const event of Array.isArray(events) ? events : [events as ChangeEvent]) this.driver.produce(this.topic, event);
    await this.driver.afterInput(this.topic);
  }

  /**
   * Adds raw Kafka records (Confluent-framed Avro, e.g. from `driver.encoder`) decoded by the
   * DebeziumDecoder over the driver's in-memory schema registry. Kafka tombstones (null values)
   * are skipped; a record that cannot be decoded is dead-lettered by stage `debezium-decoder`.
   */
  async pipeRecord(records: Pick<KafkaRecord, 'key' | 'value'> & { headers?: Headers } | readonly (Pick<KafkaRecord, 'key' | 'value'> & { headers?: Headers })[]): Promise<void> {
    const list = Array.isArray(records) ? records : [records];
    for (const r of list) await this.driver.produceRecord(this.topic, r);
    await this.driver.afterInput(this.topic);
  }
}

/**
 * Runs a topology in-process, with no Kafka and no database: the topology's own graph through the
 * runtime's `Executor`, each `ctx.mysql(id)` sink description made an in-memory database that applies Tandem's
 * last-writer-wins and tombstone rules and emits what MariaDB + Debezium would emit back onto its
 * topics. Modelled on Kafka Streams' TopologyTestDriver.
 */
export class TopologyTestDriver {
  readonly topology: Topology;
  /** The runtime's executor over the in-memory databases (e.g. for a `DslPipeline`). */
  readonly executor: Executor;
  readonly config: TandemConfig;
  /** Schemas for `pipeRecord`; `encoder` registers into it. */
  readonly schemaRegistry = new InMemorySchemaRegistry();
  readonly encoder = new DebeziumEncoder({ registry: this.schemaRegistry });
  readonly deadLetters: DeadLetter[] = [];
  /** Every collision a stage resolved (what won, what lost), over every batch, in order. */
  readonly audits: ConflictRecord[] = [];
  /** Summed over every batch, per node name. */
  readonly counters: Record<string, NodeCounters> = {};

  private readonly decoder = new DebeziumDecoder({ schemas: this.schemaRegistry });
  private readonly databases = new Map<string, InMemoryDatabase>();
  private readonly outputs = new Map<string, SinkOutput>();
  private readonly logs = new Map<string, ChangeEvent[]>();
  private pending: Pending[] = [];
  private clock: bigint;

  constructor(
    definition: TopologyDefinition,
    private readonly options: TopologyTestDriverOptions = {},
  ) {
    this.config = options.config ?? loadConfig({});
    this.clock = LocalDateTime.parse(options.startTime ?? '2026-01-01 00:00:00').epochMicros;
    this.config.databases.forEach((db, i) => {
      const serverId = options.serverIds?.[db.id] ?? i + 1;
      const emit = (topic: string, event: ChangeEvent): void => this.produce(topic, event);
      this.databases.set(db.id, new InMemoryDatabase({ ...db, serverId, tandemServerId: this.config.serverId, tables: this.config.tables, columns: options.columns, tombstoneTable: this.config.tombstoneTable, now: () => this.clock, emit }));
    });
    this.topology = definition.build({ config: this.config });
    const provided = sinksByName(...(options.sinks ?? []));
    this.executor = new Executor(this.topology, (d) => (d.kind === 'mysql' ? this.database(d.db).sink(d.name) : provided(d)));
    for (const node of this.topology.nodes) this.counters[node.name] = { in: 0, out: 0, deadLettered: 0 };
  }

  createInputTopic(topic: string): TestInputTopic {
    if (!this.topology.sourceFor(topic)) throw new RangeError(`no source of topology ${this.topology.name} reads topic ${topic}`);
    return new TestInputTopic(this, topic);
  }

  /** The in-memory database `ctx.mysql(id)` writes to; its application API drives the other side. */
  database(id: string): InMemoryDatabase {
    const db = this.databases.get(id);
    if (!db) throw new RangeError(`no database "${id}" (have ${[...this.databases.keys()].join(', ')})`);
    return db;
  }

  /** Everything handed to the sink node `name` (or the sink with that name), in order. */
  readSink(name: string): SinkOutput {
    const node = this.topology.sinks.find((s) => s.name === name) ?? this.topology.sinks.find((s) => s.sink.name === name);
    if (!node) throw new RangeError(`no sink named ${name} (have ${this.topology.sinks.map((s) => s.name).join(', ')})`);
    return this.outputs.get(node.name) ?? { events: [], results: [] };
  }

  /** Every event ever produced to a topic (by pipeInput or by a database), in order. */
  topicEvents(topic: string): ChangeEvent[] {
    return [...(this.logs.get(topic) ?? [])];
  }

  /** Records waiting to be processed. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The clock (NOW(6) of the databases). */
  now(): LocalDateTime {
    return new LocalDateTime(this.clock);
  }

  /** Moves the clock; with linger, processes the batches whose oldest record has waited long enough. */
  async advanceTime(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advanceTime needs ms >= 0, got ${ms}`);
    this.clock += BigInt(Math.round(ms * 1000));
    const linger = this.options.lingerMs;
    if (linger === undefined) return;
    const due = new Set(this.pending.filter((p) => p.atMicros + BigInt(linger * 1000) <= this.clock).map((p) => this.sourceOf(p.topic)));
    await this.deliverWhere((p) => due.has(this.sourceOf(p.topic)));
  }

  /** Processes every record pending on the given topics (all when omitted), once. What that produces stays pending. */
  async deliver(topics?: string | RegExp | readonly string[]): Promise<void> {
    const match = (topic: string): boolean =>
      topics === undefined ? true : typeof topics === 'string' ? topic === topics : topics instanceof RegExp ? topics.test(topic) : topics.includes(topic);
    await this.deliverWhere((p) => match(p.topic));
  }

  /**
   * Delivers until nothing is pending: every echo has died. Fails if records are still bouncing
   * after `maxRounds` (a loop).
   */
  async settle(maxRounds = 20): Promise<number> {
    for (let round = 0; round < maxRounds; round++) {
      if (this.pending.length === 0) return round;
      await this.deliver();
    }
    if (this.pending.length === 0) return maxRounds;
    const topics = [...new Set(this.pending.map((p) => p.topic))].join(', ');
    throw new Error(`topology did not settle after ${maxRounds} rounds: records still pending on ${topics} (a replication loop?)`);
  }

  /** @internal Appends an event to a topic, with Kafka coordinates. */
  produce(topic: string, event: ChangeEvent): void {
    const log = this.logs.get(topic) ?? [];
    this.logs.set(topic, log);
    const stamped: ChangeEvent = { ...event, kafka: { topic, partition: 0, offset: String(log.length), timestamp: Number(this.clock / 1000n) } };
    log.push(stamped);
    this.pending.push({ topic, event: stamped, atMicros: this.clock });
  }

  /** @internal Decodes a raw record onto a topic; undecodable records become dead letters. */
  async produceRecord(topic: string, raw: Pick<KafkaRecord, 'key' | 'value'> & { headers?: Headers }): Promise<void> {
    const record: KafkaRecord = { topic, partition: 0, offset: String(this.logs.get(topic)?.length ?? 0), timestamp: Number(this.clock / 1000n), key: raw.key, value: raw.value, headers: raw.headers ?? {} };
    try {
      const event = await this.decoder.decode(record);
      if (event) this.produce(topic, event);
    } catch (err) {
      if (!(err instanceof TandemError) || err.kind !== 'poison') throw err;
      const { key, value, headers } = record;
      this.deadLetters.push({ stage: this.decoder.stage, reason: err.message, raw: { key, value, headers }, kafka: { topic, partition: 0, offset: record.offset, timestamp: record.timestamp } });
    }
  }

  /** @internal After input: process now, or (with linger) only once a source has a full batch. */
  async afterInput(topic: string): Promise<void> {
    if (this.options.lingerMs === undefined) return this.deliver(topic);
    const source = this.sourceOf(topic);
    if (this.pending.filter((p) => this.sourceOf(p.topic) === source).length >= this.batchRows) await this.deliverWhere((p) => this.sourceOf(p.topic) === source);
  }

  private get batchRows(): number {
    return this.options.batchRows ?? this.config.batchRows;
  }

  private sourceOf(topic: string): string | undefined {
    return this.topology.sourceFor(topic)?.name;
  }

  /** Takes the matching records out of pending and runs them per source, in batches of batchRows. */
  private async deliverWhere(take: (p: Pending) => boolean): Promise<void> {
    const taken = this.pending.filter(take);
    this.pending = this.pending.filter((p) => !take(p));
    const bySource = new Map<string, ChangeEvent[]>();
    for (const p of taken) {
      const source = this.sourceOf(p.topic);
      // A topic no source reads stays in its log only, as in Kafka.
      if (source !== undefined) bySource.set(source, [...(bySource.get(source) ?? []), p.event]);
    }
    for (const [source, events] of bySource) {
      for (let i = 0; i < events.length; i += this.batchRows) await this.run(source, events.slice(i, i + this.batchRows));
    }
  }

  private async run(source: string, events: ChangeEvent[]): Promise<void> {
    const outcome = await this.executor.runBatch(source, events, {
      onSinkWrite: (node, written, result) => {
        const out = this.outputs.get(node.name) ?? { events: [], results: [] };
        out.events.push(...written);
        out.results.push(result);
        this.outputs.set(node.name, out);
      },
    });
    this.deadLetters.push(...outcome.deadLetters);
    this.audits.push(...outcome.audits);
    for (const [name, counters] of Object.entries(outcome.counters)) {
      const sum = this.counters[name];
      for (const [k, v] of Object.entries(counters)) sum[k] = (sum[k] ?? 0) + v;
    }
  }
}
