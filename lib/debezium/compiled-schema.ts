import type { Type } from 'avsc';
import type { AvroSchemaJson } from '../registry';
import { compileEnvelopePlan, compileKeyPlan, type EnvelopePlan } from './envelope-plan';
import { compileAvro } from './long-type';
import type { RowPlan } from './row-plan';

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

  key(): RowPlan | string {
    return (this.keyPlan ??= this.invalid ?? compileKeyPlan(this.json));
  }
}
