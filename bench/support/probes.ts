// What the parts outside Tandem take on their own, measured in the same window as Tandem's share:
// a MariaDB commit on the target from a plain client, and a Kafka record's arrival at a consumer
// with Tandem's own client and settings that does nothing else. Tandem's share cannot be shorter
// than these on the same machine at the same moment.
import { createConnection, type Connection } from 'mysql2/promise';
import { createLogger } from '../../lib/observe';
import { consumerSettings } from '../../lib/runtime/kafka-config';
import { RdkafkaConsumer } from '../../lib/runtime/rdkafka-consumer';
import { sleep } from './stats';

const PROBE_DB = 'bench_probe';

/** One autocommit single-row INSERT on the target every `everyMs`: MariaDB's round trip and commit (binlog and redo log). */
export class CommitProbe {
  private samples: { atMs: number; ms: number }[] = [];
  private running = true;
  private done: Promise<void> = Promise.resolve();

  private constructor(private readonly conn: Connection, private readonly everyMs: number) {}

  /**
   * Its own database on the target (no connector captures it), made by root over `rootSocket`;
   * the probe itself connects as the sink does (`url`: same user, over TCP).
   */
  static async start(url: string, rootSocket: string, everyMs = 20): Promise<CommitProbe> {
    const root = await createConnection({ socketPath: rootSocket, user: 'root' });
    try {
      await root.query(`CREATE DATABASE IF NOT EXISTS ${PROBE_DB}`);
      await root.query(`CREATE TABLE IF NOT EXISTS ${PROBE_DB}.commits (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL) ENGINE=InnoDB`);
      await root.query(`GRANT ALL PRIVILEGES ON ${PROBE_DB}.* TO 'tandem'@'%'`);
    } finally {
      await root.end();
    }
    const conn = await createConnection({ uri: url });
    const probe = new CommitProbe(conn, everyMs);
    probe.done = probe.loop();
    return probe;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const t0 = performance.now();
      await this.conn.query(`INSERT INTO ${PROBE_DB}.commits (at) VALUES (NOW(6))`);
      const t1 = performance.now();
      this.samples.push({ atMs: performance.timeOrigin + t1, ms: t1 - t0 });
      await sleep(this.everyMs);
    }
  }

  /** The round trips that ended in [fromMs, toMs) (epoch ms). */
  between(fromMs: number, toMs: number): number[] {
    return this.samples.filter((s) => s.atMs >= fromMs && s.atMs < toMs).map((s) => s.ms);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.conn.query(`TRUNCATE TABLE ${PROBE_DB}.commits`);
    await this.conn.end();
  }
}

/** Consumes `topic` from its end as Tandem's consumer would, noting when each record arrived. */
export class KafkaArrivalProbe {
  private arrivals: { partition: number; offset: number; recordMs: number; atMs: number }[] = [];
  private running = true;
  private done: Promise<void> = Promise.resolve();

  private constructor(private readonly consumer: RdkafkaConsumer) {}

  static async start(brokers: string, groupId: string, topic: string): Promise<KafkaArrivalProbe> {
    const settings = { ...consumerSettings({ brokers, groupId, clientId: 'bench-kafka-probe', env: {} }), 'auto.offset.reset': 'latest' };
    const consumer = await RdkafkaConsumer.connect(settings, createLogger({ component: 'bench.kafka-probe', level: 'warn' }));
    consumer.setRebalanceHandler({ onAssign: () => undefined, onRevoke: async () => undefined });
    consumer.subscribe([topic]);
    const probe = new KafkaArrivalProbe(consumer);
    probe.done = probe.loop();
    return probe;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const records = await this.consumer.consume(1000);
      const atMs = Date.now();
      for (const r of records) this.arrivals.push({ partition: r.partition, offset: Number(r.offset), recordMs: r.timestamp, atMs });
    }
  }

  /** Record timestamp → arrival, per record of `partition` at offsets in [from, to). */
  delays(from: ReadonlyMap<number, number>, to: ReadonlyMap<number, number>): number[] {
    return this.arrivals.filter((a) => a.offset >= (from.get(a.partition) ?? Infinity) && a.offset < (to.get(a.partition) ?? -Infinity)).map((a) => a.atMs - a.recordMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.consumer.disconnect();
  }
}
