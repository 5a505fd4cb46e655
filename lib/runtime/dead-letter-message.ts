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
