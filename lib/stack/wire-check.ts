// Checks on real bytes that a topic carries the Confluent wire format and that the registry's
// Confluent-compatible API resolves its schema id: byte 0 is 0, bytes 1-4 a big-endian id.
import { findRecord, type RawRecord } from './kafka-client';

export interface WireFormat {
  magic: number;
  schemaId: number;
}

export function readWireHeader(buf: Buffer | null): WireFormat | undefined {
  if (!buf || buf.length < 5) return undefined;
  return { magic: buf.readUInt8(0), schemaId: buf.readUInt32BE(1) };
}

/** `GET <registry>/schemas/ids/<id>` → the schema text; throws when the registry does not know it. */
export async function schemaById(registryUrl: string, id: number): Promise<string> {
  const res = await fetch(`${registryUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${registryUrl}/schemas/ids/${id}: HTTP ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { schema?: unknown };
  if (typeof body.schema !== 'string') throw new Error(`GET ${registryUrl}/schemas/ids/${id}: no "schema" field`);
  return body.schema;
}

/** Reads the first record of `topic` and verifies its value's framing and schema id. */
export async function checkWireFormat(brokers: string, registryUrl: string, topic: string, timeoutMs: number): Promise<WireFormat & { record: RawRecord }> {
  const record = await findRecord(brokers, topic, (r) => r.value !== null, timeoutMs);
  const header = readWireHeader(record.value);
  if (!header || header.magic !== 0) {
    throw new Error(`topic ${topic} offset ${record.offset}: value does not start with magic byte 0 (got ${record.value?.subarray(0, 5).toString('hex')})`);
  }
  await schemaById(registryUrl, header.schemaId);
  return { ...header, record };
}
