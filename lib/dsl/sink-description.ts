/**
 * A sink as the graph holds it: what to write to, never a connection. Whoever runs the graph
 * turns it into a live `Sink` (the runtime a MySQL sink, the test driver an in-memory database);
 * describe() prints it as it is.
 */
export interface MysqlSinkDescription {
  readonly kind: 'mysql';
  /** The sink's name (default `mysql-<db>`): in logs, metrics and dead letters. */
  readonly name: string;
  /** The configured database it writes (TANDEM_DB_<ID>_URL). */
  readonly db: string;
  /** Rows per write. */
  readonly batchRows: number;
  /** How long a partial batch may wait. */
  readonly lingerMs: number;
  /** Flushes applied at once, each on its own connection (rows of one Kafka partition share one). */
  readonly connections: number;
}

/** A sink the caller of the executor supplies by name: tests and benchmarks that end in sinks of their own. */
export interface ProvidedSinkDescription {
  readonly kind: 'provided';
  readonly name: string;
}

export type SinkDescription = MysqlSinkDescription | ProvidedSinkDescription;

export function providedSink(name: string): ProvidedSinkDescription {
  return { kind: 'provided', name };
}

/** The one line describe() prints for a sink. */
export function sinkDetail(sink: SinkDescription): string {
  switch (sink.kind) {
    case 'mysql':
      return `mysql sink → ${sink.db}, ${sink.lingerMs === 0 ? `batches of up to ${sink.batchRows} rows, flushed at once` : `batches of ${sink.batchRows} rows or ${sink.lingerMs} ms`}, ${sink.connections} ${sink.connections === 1 ? 'connection' : 'connections'}`;
    case 'provided':
      return 'provided by the caller';
  }
}
