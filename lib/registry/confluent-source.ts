import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
// The package's own HTTP client (mappersmith): its `SchemaRegistry.getSchema` returns a compiled
// avsc type that has dropped Debezium's `connect.name` annotations, so the raw schema text is
// fetched through the same client the package uses internally.
import createApiClient from '@kafkajs/confluent-schema-registry/dist/api';
import TimeoutMiddleware from 'mappersmith/middleware/timeout';
import { TandemError } from '../errors';
import { classifyRegistryError } from './classify';
import type { AvroSchemaJson, SchemaRegistry } from './schema-source';

export interface ConfluentSourceOptions {
  /** Per request; a registry slower than this counts as unreachable (retriable). Default 10 s. */
  timeoutMs?: number;
}

/**
 * A Confluent-compatible registry (Confluent, Apicurio's `/apis/ccompat/v7`, Karapace), through
 * @kafkajs/confluent-schema-registry. Does not retry itself: callers wrap calls in `withRetry`,
 * the one retry policy, so the HTTP client's own retries are switched off.
 */
export class ConfluentSchemaRegistrySource implements SchemaRegistry {
  private readonly api: ReturnType<typeof createApiClient>;
  private readonly client: ConfluentClient;

  constructor(readonly url: string, options: ConfluentSourceOptions = {}) {
    const args = {
      host: url.replace(/\/+$/, ''),
      retry: { retries: 0 },
      middlewares: [TimeoutMiddleware(options.timeoutMs ?? 10_000)],
    };
    this.api = createApiClient(args);
    this.client = new ConfluentClient(args);
  }

  async getSchema(id: number): Promise<AvroSchemaJson> {
    let text: unknown;
    try {
      const response = await this.api.Schema.find({ id });
      const data: unknown = response.data();
      text = typeof data === 'object' && data !== null ? (data as { schema?: unknown }).schema : undefined;
    } catch (err) {
      throw classifyRegistryError(err, `fetching schema id ${id} from ${this.url}`, { notFound: 'poison' });
    }
    if (typeof text !== 'string') {
      throw new TandemError('fatal', `registry ${this.url} answered schema id ${id} without a schema text`, {
        stage: 'schema-registry',
        hint: 'check that the URL points at a Confluent-compatible API (for Apicurio: /apis/ccompat/v7)',
      });
    }
    try {
      return JSON.parse(text) as AvroSchemaJson;
    } catch (err) {
      throw new TandemError('poison', `schema id ${id} from ${this.url} is not JSON (not an Avro schema?)`, { stage: 'schema-registry' }, { cause: err });
    }
  }

  async register(subject: string, schema: AvroSchemaJson): Promise<number> {
    try {
      const { id } = await this.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
      return id;
    } catch (err) {
      throw classifyRegistryError(err, `registering a schema under subject ${subject} at ${this.url}`, { notFound: 'fatal' });
    }
  }
}
