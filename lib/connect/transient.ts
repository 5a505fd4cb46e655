// Which failures of a source connector's task are an outage of something it talks to, gone once
// that comes back, rather than a cause an operator must fix. Kafka Connect restarts no failed task
// by itself, and Connect's own retries (errors.retry.timeout) cover only RetriableException, which
// the Apicurio converter never throws: a schema it has not cached yet (a task restarted, a topic
// written for the first time) while the registry is down fails the task for good.
import type { ConnectorState } from './client';

interface TransientCause {
  /** What the log says came back. */
  cause: string;
  /** All of them match the trace. */
  patterns: readonly RegExp[];
}

const TRANSIENT: readonly TransientCause[] = [
  // Apicurio 2.x's client turns a request that got no answer into a RestClientException without
  // a message (an answer with an error status carries the registry's message).
  { cause: 'the schema registry did not answer', patterns: [/Caused by: io\.apicurio\.registry\.rest\.client\.exception\.RestClientException\s*\n\s+at io\.apicurio\.registry\.rest\.client\.impl\.ErrorHandler\.parseError/] },
  // A registry client (Apicurio or Confluent) in the chain, its connection refused or timed out.
  {
    cause: 'the schema registry did not answer',
    patterns: [/\n\s+at (io\.apicurio\.registry|io\.confluent\.kafka\.schemaregistry)\./, /(^|\n)(Caused by: )?java\.net\.(ConnectException|SocketTimeoutException|http\.HttpConnectTimeoutException|http\.HttpTimeoutException)\b/],
  },
];

/** The outage that failed this connector or one of its tasks, or undefined for any other failure. */
export function transientCause(c: ConnectorState): string | undefined {
  const traces = [{ state: c.state, trace: c.trace }, ...c.tasks].filter((s) => s.state === 'FAILED').map((s) => s.trace ?? '');
  if (traces.length === 0) return undefined;
  const causes = traces.map((trace) => TRANSIENT.find((t) => t.patterns.every((p) => p.test(trace)))?.cause);
  // Every failed part must have failed for an outage: one failed for a cause of its own is not restarted.
  return causes.every((cause) => cause !== undefined) ? causes[0] : undefined;
}
