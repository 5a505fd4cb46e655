import { poison } from '../errors';
import type { AvroSchemaJson, SchemaRegistry } from './schema-source';

/**
 * A schema registry held in memory: what the topology test driver and unit tests produce and
 * decode with. Ids are global and an identical schema keeps its id, as in Confluent's registry.
 */
export class InMemorySchemaRegistry implements SchemaRegistry {
  private readonly byId = new Map<number, AvroSchemaJson>();
  private readonly idByText = new Map<string, number>();
  private readonly versionsBySubject = new Map<string, number[]>();

  async register(subject: string, schema: AvroSchemaJson): Promise<number> {
    return this.registerSync(subject, schema);
  }

  /** Synchronous `register`, for test fixtures built outside async code. */
  registerSync(subject: string, schema: AvroSchemaJson): number {
    const text = JSON.stringify(schema);
    let id = this.idByText.get(text);
    if (id === undefined) {
      id = this.byId.size + 1;
      this.byId.set(id, JSON.parse(text) as AvroSchemaJson);
      this.idByText.set(text, id);
    }
    const versions = this.versionsBySubject.get(subject) ?? [];
    if (versions[versions.length - 1] !== id) versions.push(id);
    this.versionsBySubject.set(subject, versions);
    return id;
  }

  async getSchema(id: number): Promise<AvroSchemaJson> {
    const schema = this.byId.get(id);
    if (schema === undefined) {
      throw poison(`schema id ${id} is not registered in the in-memory registry`, {
        stage: 'schema-registry',
        hint: 'register the schema before producing records that reference it',
      });
    }
    return schema;
  }

  /** The id of the latest schema registered under `subject`, if any. */
  latestId(subject: string): number | undefined {
    const versions = this.versionsBySubject.get(subject);
    return versions?.[versions.length - 1];
  }

  subjects(): string[] {
    return [...this.versionsBySubject.keys()];
  }
}
