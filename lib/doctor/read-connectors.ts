// The Debezium connectors' replica ids, read through Kafka Connect's REST API (one call:
// GET /connectors?expand=status&expand=info). An unreachable Connect is a finding, not a failure.
import { ConnectClient, type ConnectorState } from '../connect';

export type ConnectorsView =
  | { kind: 'unset' }
  | { kind: 'read'; url: string; connectors: ConnectorState[] }
  | { kind: 'unreachable'; url: string; error: string };

export async function readConnectors(url: string | undefined, timeoutMs = 5_000): Promise<ConnectorsView> {
  if (!url) return { kind: 'unset' };
  try {
    return { kind: 'read', url, connectors: await new ConnectClient(url, timeoutMs).connectors() };
  } catch (err) {
    return { kind: 'unreachable', url, error: err instanceof Error ? err.message : String(err) };
  }
}
