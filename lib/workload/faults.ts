// The faults a convergence run injects while both masters are being written: each returns a
// one-line note of what it did, and the run records when it happened and whether it went through.
import { Producer } from 'node-rdkafka';
import { createConnection } from 'mysql2/promise';
import { restartComponent, type ComponentName, type StackConfig } from '../stack';
import type { TopologyProcess } from './topology-process';

export interface FaultContext {
  runtime: TopologyProcess;
  stack: StackConfig;
  brokers: string;
  dbA: string;
  dbB: string;
  seed: number;
  log: (line: string) => void;
}

export interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<string>;
}

export const sigkillTopology: Fault = {
  name: 'sigkill-topology',
  async inject(ctx) {
    await ctx.runtime.killAndRestart();
    return 'runtime SIGKILLed and started again';
  },
};

export function restart(component: ComponentName): Fault {
  return {
    name: `restart-${component}`,
    async inject(ctx) {
      const t0 = Date.now();
      await restartComponent(ctx.stack, component, ctx.log);
      return `${component} stopped and started again in ${((Date.now() - t0) / 1000).toFixed(1)}s`;
    },
  };
}

/** The key the poison record carries, so the test can find it in the dead-letter topic. */
export const poisonKey = (seed: number) => `tandem-poison-${seed}`;
// members, not messages: the stack's own e2e test decodes every record of <db>.chat.messages.
export const poisonTopic = 'a.chat.members';

/** Bytes that are not Confluent-framed Avro into a source topic: must end in the dead letters. */
export const poisonRecord: Fault = {
  name: 'poison-record',
  async inject(ctx) {
    const producer = new Producer({ 'metadata.broker.list': ctx.brokers, 'log_level': 0, dr_cb: true });
    await new Promise<void>((res, rej) => producer.connect({ timeout: 15_000 }, (err) => (err ? rej(new Error(`poison: cannot connect to ${ctx.brokers}: ${err.message}`)) : res())));
    try {
      const delivered = new Promise<void>((res, rej) => {
        producer.once('delivery-report', (err) => (err ? rej(err) : res()));
      });
      producer.setPollInterval(50);
      producer.produce(poisonTopic, null, Buffer.from('this is not a Debezium record'), Buffer.from(poisonKey(ctx.seed)));
      await delivered;
    } finally {
      await new Promise<void>((res) => producer.disconnect(() => res()));
    }
    return `garbage record with key ${poisonKey(ctx.seed)} produced to ${poisonTopic}`;
  },
};

export const addedColumn = 'soak_flag';

/** `ALTER TABLE messages ADD COLUMN ... DEFAULT` on side a only: the topology must carry it to b. */
export const addColumnOnA: Fault = {
  name: 'alter-add-column',
  async inject(ctx) {
    const conn = await createConnection(ctx.dbA);
    try {
      await conn.query(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS ${addedColumn} INT NOT NULL DEFAULT 7`);
    } finally {
      await conn.end();
    }
    return `messages.${addedColumn} INT NOT NULL DEFAULT 7 added on a`;
  },
};

export const faultsByName: Record<string, Fault> = Object.fromEntries(
  [sigkillTopology, poisonRecord, addColumnOnA, restart('db-a'), restart('db-b'), restart('connect'), restart('kafka')].map((f) => [f.name, f]),
);
