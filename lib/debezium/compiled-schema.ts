import type { Resolver, Type } from 'avsc';
import type { AvroSchemaJson } from '../registry';
import { compileEnvelopePlan, compileKeyPlan, type EnvelopePlan } from './envelope-plan';
import { compileAvro } from './long-type';
import { envelopeReaderSchema } from './reader-schema';
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
  private reader: EnvelopeReader | undefined;

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
    if (!this.reader) {
      const type = compileAvro(envelopeReaderSchema(this.json));
      this.reader = { type, resolver: type.createResolver(this.type!) };
    }
    return this.reader;
  }

  /**
   * Whether this is the value schema of Debezium's schema-change topic (DDL statements), which
   * Tandem reads whole instead of as a change-event envelope.
   */
  isSchemaChange(): boolean {
    const j = this.json as { type?: unknown; name?: unknown; fields?: { name?: unknown }[] };
    if (j.type !== 'record' || typeof j.name !== 'string' || !/(^|\.)SchemaChangeValue$/.test(j.name)) return false;
    const names = new Set((j.fields ?? []).map((f) => f.name));
    return names.has('source') && names.has('ddl') && names.has('tableChanges');
  }

  key(): RowPlan | string {
    return (this.keyPlan ??= this.invalid ?? compileKeyPlan(this.json));
  }
}
