import { redactSecrets } from '../config/redact';
import type { DeadLetter, Headers, KafkaCoordinates } from '../model';

/** Header names on dead-letter records; the value is the original bytes, the key the original key. */
export const DLQ_HEADERS = {
  reason: 'tandem.dlq.reason',
  stage: 'tandem.dlq.stage',
  topic: 'tandem.dlq.topic',
  partition: 'tandem.dlq.partition',
  offset: 'tandem.dlq.offset',
  timestamp: 'tandem.dlq.timestamp',
} as const;

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

function bytes(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** The record written to the dead-letter topic: original key, value and headers, plus why and where from. */
export function deadLetterMessage(letter: DeadLetter, raw?: { key: Buffer | null; value: Buffer | null; headers?: Headers }): DeadLetterMessage {
  const source = letter.raw ?? raw;
  const at: KafkaCoordinates | undefined = letter.kafka ?? letter.event?.kafka;
  const headers: Headers = {};
  for (const [k, v] of Object.entries(source?.headers ?? {})) headers[k] = bytes(v);
  // Reasons are often an error's text (the registry's, mysql2's): whoever reads the topic must not
  // find a URL's password in it.
  headers[DLQ_HEADERS.reason] = redactSecrets(letter.reason);
  headers[DLQ_HEADERS.stage] = letter.stage;
  if (at) {
    headers[DLQ_HEADERS.topic] = at.topic;
    headers[DLQ_HEADERS.partition] = String(at.partition);
    headers[DLQ_HEADERS.offset] = at.offset;
    headers[DLQ_HEADERS.timestamp] = String(at.timestamp);
  }
  // Without the original bytes (a stage refused a decoded event) the event itself is kept, as JSON.
  const value = source ? source.value : letter.event ? Buffer.from(JSON.stringify(letter.event, jsonSafe)) : null;
  return { key: source?.key ?? null, value, headers };
}

function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** A record read back from the dead-letter topic: where it sits, why it is there, and the original record. */
export interface StoredDeadLetter {
  /** Its place in the dead-letter topic. */
  partition: number;
  offset: bigint;
  /** When it was dead-lettered (the record's timestamp, epoch ms). */
  timestamp: number;
  reason: string;
  stage: string;
  /** Where the original record was read from; absent when the letter does not say. */
  origin?: KafkaCoordinates;
  /** The original record: its key, value and own headers (Tandem's `tandem.dlq.*` ones taken off). */
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

const text = (v: Buffer | string | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8'));

/** The inverse of `deadLetterMessage`: a record of the dead-letter topic, as read back. */
export function parseDeadLetterMessage(at: { partition: number; offset: bigint; timestamp: number }, msg: DeadLetterMessage): StoredDeadLetter {
  const own = new Set<string>(Object.values(DLQ_HEADERS));
  const headers: Headers = {};
  for (const [k, v] of Object.entries(msg.headers)) if (!own.has(k)) headers[k] = v;
  const h = (name: keyof typeof DLQ_HEADERS) => text(msg.headers[DLQ_HEADERS[name]]);
  const [topic, partition, offset] = [h('topic'), Number(h('partition')), h('offset')];
  const origin = topic !== undefined && Number.isInteger(partition) && offset !== undefined ? { topic, partition, offset, timestamp: Number(h('timestamp') ?? 0) } : undefined;
  return {
    ...at,
    reason: h('reason') ?? '(no reason recorded)',
    stage: h('stage') ?? '(no stage recorded)',
    ...(origin ? { origin } : {}),
    key: msg.key,
    value: msg.value,
    headers,
  };
}
