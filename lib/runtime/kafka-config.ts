import { fatal } from '../errors';
import { MAX_BATCH_BYTES, MAX_REQUEST_BYTES } from '../stack/limits';

// librdkafka settings come from three places, later ones winning: Tandem's defaults, the values
// Tandem derives from its own config (brokers, group id), and any `TANDEM_RDKAFKA_<KEY>` variable
// (TLS, SASL, timeouts...). `<KEY>` is the librdkafka key upper-cased with dots as underscores;
// a double underscore stands for a literal underscore.
// Not TANDEM_KAFKA_: the local stack's port settings (TANDEM_KAFKA_PORT, ...) live there.
export const KAFKA_ENV_PREFIX = 'TANDEM_RDKAFKA_';

export type KafkaSettings = Record<string, string | number | boolean>;

export function librdkafkaKeyOf(envName: string): string {
  return envName
    .slice(KAFKA_ENV_PREFIX.length)
    .toLowerCase()
    .split('__')
    .map((part) => part.replace(/_/g, '.'))
    .join('_');
}

/** Every `TANDEM_RDKAFKA_*` variable as a librdkafka key/value pair. */
export function kafkaPassthrough(env: NodeJS.ProcessEnv): KafkaSettings {
  const out: KafkaSettings = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(KAFKA_ENV_PREFIX) || value === undefined) continue;
    const key = librdkafkaKeyOf(name);
    if (!/^[a-z0-9][a-z0-9._]*$/.test(key)) {
      throw fatal(`environment variable ${name} does not name a librdkafka setting`, {
        stage: 'config',
        hint: 'use TANDEM_RDKAFKA_<KEY> with the key upper-cased and dots written as underscores, e.g. TANDEM_RDKAFKA_SECURITY_PROTOCOL=ssl',
      });
    }
    out[key] = value;
  }
  return out;
}

export interface ConsumerSettingsInput {
  brokers: string;
  groupId: string;
  clientId?: string;
  env?: NodeJS.ProcessEnv;
}

/** Settings Tandem relies on for at-least-once; passthrough may not weaken them. */
const pinnedConsumer: KafkaSettings = {
  'enable.auto.commit': false,
  'enable.auto.offset.store': false,
};

/**
 * The largest fetch response the consumer accepts (librdkafka checks every response against
 * `receive.message.max.bytes`, 100 MB by default, and a record that does not fit is fetched again
 * forever). A record larger than the per-partition `fetch.message.max.bytes` (1 MiB) is still
 * returned whole (first batch of a fetch) or fetched with a doubled size, so the prefetch bounds
 * stay as they are. librdkafka refuses a value below `fetch.max.bytes` + 512 when both are set:
 * a larger one given by the user wins.
 */
function receiveMaxBytes(passthrough: KafkaSettings): number {
  const asked = ['fetch.max.bytes', 'message.max.bytes'].map((k) => Number(passthrough[k] ?? 0) + 512);
  return Math.max(MAX_REQUEST_BYTES, ...asked.filter(Number.isFinite));
}

export function consumerSettings(input: ConsumerSettingsInput): KafkaSettings {
  const passthrough = kafkaPassthrough(input.env ?? process.env);
  for (const key of Object.keys(pinnedConsumer)) {
    if (key in passthrough && String(passthrough[key]) !== String(pinnedConsumer[key])) {
      throw fatal(`librdkafka setting ${key}=${String(passthrough[key])} is not allowed: Tandem commits offsets itself, after the sink`, {
        stage: 'config',
        hint: `unset ${KAFKA_ENV_PREFIX}${key.toUpperCase().replace(/\./g, '_')}`,
      });
    }
  }
  return {
    'client.id': input.clientId ?? 'tandem',
    'partition.assignment.strategy': 'cooperative-sticky',
    'auto.offset.reset': 'earliest',
    // Bounded prefetch: librdkafka's own queue is the first buffer that must stay flat.
    'queued.max.messages.kbytes': 8192,
    // Once that queue is full, librdkafka waits this long before fetching again (1 s by default):
    // with a small queue and a fast sink, the consumer would sit idle for most of that second.
    'fetch.queue.backoff.ms': 20,
    // Records up to the local stack's largest (lib/stack/limits.ts; docs/runtime.md).
    'receive.message.max.bytes': receiveMaxBytes(passthrough),
    'socket.keepalive.enable': true,
    // Debezium creates a table's topic on its first change (e.g. the tombstone topic on the first
    // delete): notice it in seconds, not librdkafka's default five minutes.
    'topic.metadata.refresh.interval.ms': 5000,
    // node-rdkafka's consume(n) keeps polling until it has n records; after a partition EOF it
    // polls with a 1 ms timeout instead. RdkafkaConsumer.consume takes only what is fetched already
    // after its first record anyway; the EOFs also end a call that began on a caught-up partition.
    'enable.partition.eof': true,
    // Its group state every 5 s: a client that stays without its coordinator is replaced (coordinator-watch.ts).
    'statistics.interval.ms': 5000,
    'metadata.broker.list': input.brokers,
    'group.id': input.groupId,
    ...passthrough,
    ...pinnedConsumer,
  };
}

export function producerSettings(input: { brokers: string; clientId?: string; env?: NodeJS.ProcessEnv }): KafkaSettings {
  const passthrough = kafkaPassthrough(input.env ?? process.env);
  // Consumer-only keys would make the producer refuse to start.
  const consumerOnly = /^(group\.|partition\.assignment|auto\.offset|enable\.auto|enable\.partition\.eof|queued\.|fetch\.|session\.timeout|max\.poll|heartbeat\.|isolation\.level|group\.instance)/;
  const shared: KafkaSettings = {};
  for (const [k, v] of Object.entries(passthrough)) if (!consumerOnly.test(k)) shared[k] = v;
  return {
    'client.id': `${input.clientId ?? 'tandem'}-dlq`,
    'metadata.broker.list': input.brokers,
    'enable.idempotence': true,
    // A dead letter carries the original record plus headers: above message.max.bytes (1 MB by
    // default) produce() refuses it, and the batch would wait for its dead letter forever.
    'message.max.bytes': MAX_BATCH_BYTES,
    dr_cb: true,
    ...shared,
  };
}
