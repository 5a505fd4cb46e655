// The package's own HTTP client (mappersmith). Not its `SchemaRegistry` class: `getSchema` there
// returns a compiled avsc type that has dropped Debezium's `connect.name` annotations, and
// `register` changes the subject's compatibility setting on first use.
import createApiClient from '@kafkajs/confluent-schema-registry/dist/api';
import TimeoutMiddleware from 'mappersmith/middleware/timeout';
import { redactUrl } from '../config/redact';
import { TandemError } from '../errors';
import { classifyRegistryError } from './classify';
import type { AvroSchemaJson, SchemaRegistry } from './schema-source';

export interface ConfluentSourceOptions {
  /** Per request; a registry slower than this counts as unreachable (retriable). Default 10 s. */
  timeoutMs?: number;
}

/**
 * A Confluent-compatible registry (Confluent, Apicurio's `/apis/ccompat/v7`, Karapace), through
 * @kafkajs/confluent-schema-registry's client. Does not retry itself: callers wrap calls in `withRetry`,
 * the one retry policy, so the HTTP client's own retries are switched off.
 */
export class ConfluentSchemaRegistrySource implements SchemaRegistry {
  private readonly api: ReturnType<typeof createApiClient>;
  /**
   * The registry as messages name it: TANDEM_REGISTRY_URL may carry user:password@ (the HTTP
   * client sends them as basic auth), and these messages reach logs and dead-letter headers.
   */
  private readonly url: string;

  constructor(url: string, options: ConfluentSourceOptions = {}) {
    this.url = redactUrl(url.replace(/\/+$/, ''));
    const args = {
      host: url.replace(/\/+$/, ''),
      retry: { retries: 0 },
      middlewares: [TimeoutMiddleware(options.timeoutMs ?? 10_000)],
    };
    this.api = createApiClient(args);
  }

  async getSchema(id: number): Promise<AvroSchemaJson> {
    let text: unknown;
    try {
      const response = await this.api.Schema.find({ id });
      const data: unknown = response.data();
      text = typeof data === 'object' && data !== null ? (data as { schema?: unknown }).schema : undefined;
    } catch (err) {
      // An id the registry does not know is the registry's problem (wrong URL, data lost), not the
      // record's: waiting loses nothing, dead-lettering would throw the whole stream away.
      throw classifyRegistryError(err, `fetching schema id ${id} from ${this.url}`, { notFound: 'retriable' });
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
      const response = await this.api.Subject.register({ subject, body: { schema: JSON.stringify(schema) } });
      const data: unknown = response.data();
      const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
      if (typeof id === 'number') return id;
      throw new TandemError('fatal', `registry ${this.url} answered a registration under ${subject} without an id`, { stage: 'schema-registry' });
    } catch (err) {
      if (err instanceof TandemError) throw err;
      throw classifyRegistryError(err, `registering a schema under subject ${subject} at ${this.url}`, { notFound: 'fatal' });
    }
  }
}
