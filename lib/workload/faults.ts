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

/** What a fault did: a one-line note, and how long the part was down when it took one down. */
export interface Injected {
  note: string;
  downMs?: number;
}

export interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<Injected>;
}

export const sigkillTopology: Fault = {
  name: 'sigkill-topology',
  async inject(ctx) {
    await ctx.runtime.killAndRestart();
    return { note: 'runtime SIGKILLed and started again' };
  },
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** A stack component stopped (SIGTERM, or SIGKILL with `kill`) and started again at once. */
export function restart(component: ComponentName, o: { kill?: boolean } = {}): Fault {
  return {
    name: `${o.kill ? 'kill' : 'restart'}-${component}`,
    async inject(ctx) {
      const downMs = await restartComponent(ctx.stack, component, ctx.log, o);
      return { note: `${component} ${o.kill ? 'SIGKILLed' : 'stopped'} and started again`, downMs };
    },
  };
}

/** A stack component down for `ms` (longer than any retry budget) while the writers go on. */
export function outage(component: ComponentName, ms: number): Fault {
  return {
    name: `outage-${component}-${Math.round(ms / 1000)}s`,
    async inject(ctx) {
      const downMs = await restartComponent(ctx.stack, component, ctx.log, { downMs: ms });
      return { note: `${component} down for ${seconds(ms)} while the writers went on`, downMs };
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
    return { note: `garbage record with key ${poisonKey(ctx.seed)} produced to ${poisonTopic}` };
  },
};

export const addedColumn = 'soak_flag';

/** A DDL statement run on one side while the writers go on: the topology must replay it on the other. */
export function schemaChange(name: string, side: 'a' | 'b', statement: string): Fault {
  return {
    name,
    async inject(ctx) {
      const conn = await createConnection(side === 'a' ? ctx.dbA : ctx.dbB);
      try {
        await conn.query(statement);
      } finally {
        await conn.end();
      }
      return { note: `${statement} on ${side}` };
    },
  };
}

/** `ALTER TABLE messages ADD COLUMN ... DEFAULT` on side a only: the topology must carry it to b. */
export const addColumnOnA = schemaChange('alter-add-column', 'a', `ALTER TABLE messages ADD COLUMN IF NOT EXISTS ${addedColumn} INT NOT NULL DEFAULT 7`);

/**
 * Schema changes of several kinds on the demo tables, on either side, that leave the workload's
 * statements valid (they name their columns): each must be replayed on the other side, and the
 * final verify compares the table definitions too.
 */
export const demoSchemaChanges: Fault[] = [
  schemaChange('ddl-widen-column', 'b', 'ALTER TABLE rooms MODIFY topic VARCHAR(300) NULL'),
  schemaChange('ddl-create-index', 'a', 'CREATE INDEX ix_messages_author ON messages (author_id)'),
  schemaChange('ddl-add-column-and-index', 'b', 'ALTER TABLE members ADD COLUMN muted TINYINT(1) NOT NULL DEFAULT 0, ADD INDEX ix_members_role (role)'),
  schemaChange('ddl-table-option', 'a', "ALTER TABLE rooms COMMENT = 'chat rooms'"),
  schemaChange('ddl-drop-index', 'b', 'DROP INDEX ix_messages_author ON messages'),
];

export const faultsByName: Record<string, Fault> = Object.fromEntries(
  [sigkillTopology, poisonRecord, addColumnOnA, restart('db-a'), restart('db-b'), restart('connect'), restart('connect', { kill: true }), restart('kafka'), restart('registry')].map((f) => [f.name, f]),
);
