import type { Resolver, Type } from 'avsc';
import type { AvroSchemaJson } from '../registry';
import { compileEnvelopePlan, compileKeyPlan, type EnvelopePlan } from './envelope-plan';
import { compileAvro } from './long-type';
import { envelopeReaderSchema, headReaderSchema, serverIdReaderSchema } from './reader-schema';
import type { RowPlan } from './row-plan';

/** How to read an envelope's bytes: the pruned reader type and its resolver from the writer. */
export interface EnvelopeReader {
  type: Type;
  resolver: Resolver;
}

/**
 * Everything decided about one registry schema id, once: the compiled avsc type and, on first
 * use as a value or a key, the envelope or key plan (or why the schema cannot be one).
 */
export class CompiledSchema {
  readonly type: Type | undefined;
  /** Why avsc refused the schema, when it did. */
  readonly invalid: string | undefined;
  private envelopePlan: EnvelopePlan | string | undefined;
  private keyPlan: RowPlan | string | undefined;
  private schemaChangeValue: boolean | undefined;
  private readonly readers: Partial<Record<'envelope' | 'head' | 'serverId', EnvelopeReader>> = {};

  constructor(readonly id: number, readonly json: AvroSchemaJson) {
    try {
      this.type = compileAvro(json);
    } catch (err) {
      this.invalid = err instanceof Error ? err.message : String(err);
    }
  }

  envelope(): EnvelopePlan | string {
    return (this.envelopePlan ??= this.invalid ?? compileEnvelopePlan(this.json));
  }

  /** Call only once `envelope()` has returned a plan. */
  envelopeReader(): EnvelopeReader {
    return this.reader('envelope', envelopeReaderSchema);
  }

  /** `op` and the source block, the rows skipped (also only once there is a plan). */
  headReader(): EnvelopeReader {
    return this.reader('head', headReaderSchema);
  }

  /** `source.server_id` alone: a look at who wrote the event before deciding to read it. */
  serverIdReader(): EnvelopeReader {
    return this.reader('serverId', serverIdReaderSchema);
  }

  private reader(kind: 'envelope' | 'head' | 'serverId', schemaOf: (writer: AvroSchemaJson) => AvroSchemaJson): EnvelopeReader {
    let r = this.readers[kind];
    if (!r) {
      const type = compileAvro(schemaOf(this.json));
      r = this.readers[kind] = { type, resolver: type.createResolver(this.type!) };
    }
    return r;
  }

  /**
   * Whether this is the value schema of Debezium's schema-change topic (DDL statements), which
   * Tandem reads whole instead of as a change-event envelope.
   */
  isSchemaChange(): boolean {
    // Asked for every record: decided once.
    return (this.schemaChangeValue ??= this.looksLikeSchemaChange());
  }

  private looksLikeSchemaChange(): boolean {
    const j = this.json as { type?: unknown; name?: unknown; fields?: { name?: unknown }[] };
    if (j.type !== 'record' || typeof j.name !== 'string' || !/(^|\.)SchemaChangeValue$/.test(j.name)) return false;
    const names = new Set((j.fields ?? []).map((f) => f.name));
    return names.has('source') && names.has('ddl') && names.has('tableChanges');
  }

  key(): RowPlan | string {
    return (this.keyPlan ??= this.invalid ?? compileKeyPlan(this.json));
  }
}
