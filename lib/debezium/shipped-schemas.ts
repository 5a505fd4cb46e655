// The Debezium schemas shipped under schemas/debezium/<connector>/ (written for prefix `a`),
// re-targeted at any topic prefix: `b.chat.messages` gets `b.chat.messages.Envelope` and so on.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';
import type { DebeziumConnector, EnvelopeSchemas } from './envelope-schema';

export const SHIPPED_SCHEMA_DIR = resolve(__dirname, '../../schemas/debezium');

function retarget(schema: AvroSchemaJson, from: string, to: string): AvroSchemaJson {
  if (Array.isArray(schema)) return schema.map((s) => retarget(s, from, to));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((k === 'namespace' || k === 'connect.name') && typeof v === 'string' && (v === from || v.startsWith(from + '.'))) {
      out[k] = to + v.slice(from.length);
    } else if (k === 'type' || k === 'fields' || k === 'items' || k === 'values') {
      out[k] = Array.isArray(v) && k === 'fields'
        ? v.map((f: { type: AvroSchemaJson }) => ({ ...f, type: retarget(f.type, from, to) }))
        : retarget(v as AvroSchemaJson, from, to);
    } else {
      out[k] = v;
    }
  }
  return out as AvroSchemaObject;
}

/** The shipped key and value schemas for `<prefix>.<db>.<table>`; throws if none are shipped for the table. */
export function shippedSchemas(topic: string, connector: DebeziumConnector = 'mariadb'): EnvelopeSchemas {
  const parts = topic.split('.');
  if (parts.length !== 3) throw new RangeError(`topic ${topic} is not <prefix>.<db>.<table>`);
  const dir = join(SHIPPED_SCHEMA_DIR, connector);
  const suffix = `.${parts[1]}.${parts[2]}-value.avsc`;
  const file = readdirSync(dir).find((f) => f.endsWith(suffix) && !f.slice(0, -suffix.length).includes('.'));
  if (!file) throw new RangeError(`no Debezium schema shipped for ${parts[1]}.${parts[2]} in ${dir}`);
  const shippedTopic = file.slice(0, -'-value.avsc'.length);
  const read = (kind: string): AvroSchemaObject =>
    retarget(JSON.parse(readFileSync(join(dir, `${shippedTopic}-${kind}.avsc`), 'utf8')) as AvroSchemaJson, shippedTopic, topic) as AvroSchemaObject;
  return { key: read('key'), value: read('value') };
}
