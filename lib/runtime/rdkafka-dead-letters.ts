// Dead letters go to one Kafka topic; a batch's offsets are committed only after the broker
// acknowledged each of its dead letters (delivery reports), so none is lost in a crash. The
// optional conflict audit topic goes through the same producer, on the same terms.
import { Producer, type DeliveryReport, type LibrdKafkaError, type MessageHeader } from 'node-rdkafka';
import { defaultRetryPolicy, retriable, type RetryPolicy } from '../errors';
import type { ConflictRecord, DeadLetter } from '../model';
import type { Logger, Outages } from '../observe';
import { auditMessage } from './audit-message';
import { deadLetterMessage } from './dead-letter-message';
import type { KafkaSettings } from './kafka-config';
import { KAFKA_PART } from './kafka-part';
import { CLOSE_WAIT_MS, classifyKafkaError, connectFresh, forwardClientLog } from './rdkafka-consumer';
import { closeWithin } from './kafka-leftovers';
import type { AuditPort, DeadLetterPort } from './ports';

export class RdkafkaDeadLetters implements DeadLetterPort {
  private nextId = 0;
  private waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(private readonly producer: Producer, private readonly topic: string, private readonly log: Logger) {
    producer.on('delivery-report', (err: LibrdKafkaError, report: DeliveryReport) => {
      const id = typeof report.opaque === 'number' ? report.opaque : -1;
      const w = this.waiting.get(id);
      if (!w) return;
      this.waiting.delete(id);
      if (err) w.reject(classifyKafkaError(err, `writing to ${report.topic}`));
      else w.resolve();
    });
  }

  static async connect(settings: KafkaSettings, topic: string, log: Logger, policy: RetryPolicy = defaultRetryPolicy, outages?: Outages): Promise<RdkafkaDeadLetters> {
    const make = () => {
      const p = new Producer(settings);
      forwardClientLog(p, log);
      return p;
    };
    const hooks = outages ? outages.hooks(KAFKA_PART) : { onRetry: (err: Error, attempt: number, delayMs: number) => log.warn('Kafka unreachable (dead-letter producer), retrying', { attempt, delayMs, error: err.message }) };
    const producer = await connectFresh(make, 'connecting the dead-letter producer', policy, hooks);
    producer.setPollInterval(50);
    return new RdkafkaDeadLetters(producer, topic, log);
  }

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    await Promise.all(letters.map((l) => this.sendLetter(l)));
  }

  /** The audit topic's output, through this producer: conflict records as JSON (audit-message.ts). */
  auditTo(topic: string): AuditPort {
    return {
      publish: async (records: readonly ConflictRecord[]) => {
        const now = Date.now();
        await Promise.all(records.map((r) => this.send(topic, auditMessage(r, now), 'a conflict audit record', 'audit')));
      },
    };
  }

  private sendLetter(letter: DeadLetter): Promise<void> {
    const msg = deadLetterMessage(letter);
    const headers: MessageHeader[] = Object.entries(msg.headers).map(([k, v]) => ({ [k]: v }));
    return this.send(this.topic, { key: msg.key, value: msg.value, headers }, 'a dead letter', 'dead-letter');
  }

  private send(topic: string, msg: { key: Buffer | null; value: Buffer | null; headers?: MessageHeader[] }, what: string, stage: string): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        this.producer.produce(topic, null, msg.value, msg.key, Date.now(), id, msg.headers);
      } catch (err) {
        this.waiting.delete(id);
        reject(retriable(`queueing ${what} for ${topic}: ${err instanceof Error ? err.message : String(err)}`, { stage }, err));
      }
    });
  }

  /** Flushes (5 s at most) and closes, waiting at most CLOSE_WAIT_MS for the close (kafka-leftovers.ts says why). */
  async close(): Promise<void> {
    const closed = await closeWithin((done) => this.producer.flush(5000, () => this.producer.disconnect(() => done())), 5000 + CLOSE_WAIT_MS);
    if (!closed) this.log.warn(`the dead-letter producer did not close within ${(5000 + CLOSE_WAIT_MS) / 1000} s; stopping without it`);
  }
}
