// In-memory stand-ins for Kafka, the decoder, the pipeline and the dead-letter topic.
import type { ChangeEvent, ConflictRecord, DeadLetter } from '../../../lib/model';
import { poison } from '../../../lib/errors';
import type { CommitOffset } from '../../../lib/runtime/offset-tracker';
import type {
  AuditPort,
  ConsumedRecord,
  ConsumerPort,
  DeadLetterPort,
  DecoderRecord,
  Pipeline,
  PipelineOutcome,
  RebalanceHandler,
  RecordDecoder,
  SourceSpec,
  TopicPartition,
} from '../../../lib/runtime/ports';
import { createLogger } from '../../../lib/observe';

export const quietLogger = () => createLogger({ write: () => undefined, json: true });

export function record(topic: string, partition: number, offset: number, value: string | null): ConsumedRecord {
  return { topic, partition, offset: BigInt(offset), timestamp: 1, key: Buffer.from(`k${offset}`), value: value === null ? null : Buffer.from(value), headers: {} };
}

/** A topic log per partition; `consume` hands out what is not paused, in order. */
export class FakeConsumer implements ConsumerPort {
  logs = new Map<string, ConsumedRecord[]>();
  positions = new Map<string, number>();
  paused = new Set<string>();
  commits: CommitOffset[][] = [];
  handler: RebalanceHandler | undefined;
  subscribed: (string | RegExp)[] = [];
  pauseCalls = 0;
  onIdle: (() => void) | undefined;
  disconnected = false;

  add(r: ConsumedRecord): void {
    const k = `${r.topic}:${r.partition}`;
    const log = this.logs.get(k) ?? [];
    log.push(r);
    this.logs.set(k, log);
  }
  setRebalanceHandler(h: RebalanceHandler): void {
    this.handler = h;
  }
  subscribe(topics: readonly (string | RegExp)[]): void {
    this.subscribed = [...topics];
    const parts = [...this.logs.keys()].map((k) => ({ topic: k.split(':')[0], partition: Number(k.split(':')[1]) }));
    this.handler?.onAssign(parts);
  }
  async consume(max: number): Promise<ConsumedRecord[]> {
    await new Promise((r) => setImmediate(r));
    const out: ConsumedRecord[] = [];
    for (const [k, log] of this.logs) {
      if (this.paused.has(k)) continue;
      let pos = this.positions.get(k) ?? 0;
      while (pos < log.length && out.length < max) out.push(log[pos++]);
      this.positions.set(k, pos);
    }
    if (out.length === 0) this.onIdle?.();
    return out;
  }
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    this.commits.push([...offsets]);
  }
  pause(ps: readonly TopicPartition[]): void {
    this.pauseCalls++;
    for (const p of ps) this.paused.add(`${p.topic}:${p.partition}`);
  }
  resume(ps: readonly TopicPartition[]): void {
    for (const p of ps) this.paused.delete(`${p.topic}:${p.partition}`);
  }
  highWatermark(topic: string, partition: number): bigint | null {
    return BigInt(this.logs.get(`${topic}:${partition}`)?.length ?? 0);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  /** Last committed offset per partition, over all commits. */
  committed(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.commits) for (const o of c) out[`${o.topic}:${o.partition}`] = o.offset.toString();
    return out;
  }
}

/** Decodes the value text into an insert; "BAD" is poison; null value is a Kafka tombstone. */
export const fakeDecoder: RecordDecoder = {
  async decode(r: DecoderRecord): Promise<ChangeEvent | null> {
    if (r.value === null) return null;
    const text = r.value.toString();
    if (text === 'BAD') throw poison(`unknown schema id 99 in ${r.topic}@${r.offset}`);
    return {
      op: 'c',
      before: null,
      after: { id: Number(r.offset), v: text },
      key: { id: Number(r.offset) },
      source: { connector: 'mariadb', name: r.topic.split('.')[0], db: 'chat', table: 't', serverId: 1, gtid: null, file: 'f', pos: 0, row: 0, tsMs: 0, snapshot: false, thread: null },
      headers: {},
    };
  },
};

/** Records what each source received; `gate` lets a test hold the sink. */
export class FakePipeline implements Pipeline {
  applied: Record<string, string[]> = {};
  gate: Promise<void> = Promise.resolve();
  inFlightMax = 0;
  private inFlight = 0;
  failWith: Error | undefined;
  closed = false;
  constructor(readonly sources: readonly SourceSpec[]) {}
  async runBatch(source: string, events: ChangeEvent[]): Promise<PipelineOutcome> {
    this.inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    try {
      await this.gate;
      if (this.failWith) throw this.failWith;
      const deadLetters: DeadLetter[] = [];
      const audits: ConflictRecord[] = [];
      const list = (this.applied[source] ??= []);
      for (const e of events) {
        const v = String(e.after?.v);
        if (v === 'NOROUTE') deadLetters.push({ stage: 'route', reason: 'no route for table t', event: e });
        else list.push(v);
        // "LOST" lost a conflict to the event before it in the batch.
        const i = events.indexOf(e);
        if (v === 'LOST' && i > 0) audits.push({ stage: `${source}.lww`, table: 't', key: e.key, winner: events[i - 1], loser: e });
      }
      return { deadLetters, counters: { recordsOut: events.length - deadLetters.length, echoesSuppressed: 0 }, ...(audits.length > 0 ? { audits } : {}) };
    } finally {
      this.inFlight--;
    }
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeDeadLetters implements DeadLetterPort {
  letters: DeadLetter[] = [];
  async publish(ls: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...ls);
  }
  async close(): Promise<void> {}
}

/** The audit topic: what was published, and what the consumer had committed at that moment. */
export class FakeAudits implements AuditPort {
  published: { records: ConflictRecord[]; committedBefore: Record<string, string> }[] = [];
  constructor(private readonly consumer: FakeConsumer) {}
  async publish(records: readonly ConflictRecord[]): Promise<void> {
    this.published.push({ records: [...records], committedBefore: this.consumer.committed() });
  }
}
