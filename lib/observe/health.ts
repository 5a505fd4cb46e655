// Liveness and readiness as plain data. /healthz: the process loop is alive. /readyz: ready only
// while the consumer is connected, every database answers and every watched source connector is
// RUNNING; the body names each check and why it is not ok. The checks read state others keep
// fresh (the runtime, database probes, the connector watch): answering never waits on a network.

/** One readiness condition. `part` ties it to what the status page draws (`database:a`, ...). */
export interface Check {
  name: string;
  part: string;
  ok: boolean;
  detail: string;
}

/** A probe's last answer. */
export interface ProbeStatus {
  ok: boolean;
  detail: string;
  /** When the state last changed (epoch ms); 0 before the first answer. */
  sinceMs: number;
}

/** What a database check reads: a probe kept fresh elsewhere (lib/runtime/database-probe.ts). */
export interface DatabaseStatusSource {
  /** The database id (`a`). */
  id: string;
  status(): ProbeStatus;
}

/** The watched connectors, as the readiness check needs them; undefined: their state is unknown. */
export interface ConnectorReadiness {
  /** Why their state is unknown (Connect does not answer), if it is. */
  unknown?: string;
  /** Per watched database: its connector's name and whether it (and all its tasks) run. */
  databases: readonly { database: string; connector?: string; state: string; running: boolean }[];
}

export interface ReadinessSources {
  consumer: () => { ok: boolean; detail: string };
  databases: readonly DatabaseStatusSource[];
  /** Absent: no Connect watched (TANDEM_CONNECT_URL unset), so no connector check. */
  connectors?: () => ConnectorReadiness;
}

export function readinessChecks(s: ReadinessSources): Check[] {
  const checks: Check[] = [{ name: 'consumer', part: 'consumer', ...s.consumer() }];
  for (const db of s.databases) {
    const st = db.status();
    checks.push({ name: `database ${db.id}`, part: `database:${db.id}`, ok: st.ok, detail: st.detail });
  }
  const connectors = s.connectors?.();
  for (const c of connectors?.databases ?? []) {
    const detail = connectors?.unknown
      ? `state unknown: ${connectors.unknown}`
      : c.connector === undefined
        ? `no connector writes the topics of database ${c.database}`
        : `${c.connector} ${c.state}`;
    checks.push({ name: `connector ${c.database}`, part: `connector:${c.database}`, ok: connectors?.unknown === undefined && c.running, detail });
  }
  return checks;
}

export interface Readiness {
  ready: boolean;
  /** The checks that are not ok, each with why. */
  notReady: { check: string; detail: string }[];
  checks: Check[];
}

export function readiness(checks: readonly Check[]): Readiness {
  const failing = checks.filter((c) => !c.ok);
  return { ready: failing.length === 0, notReady: failing.map((c) => ({ check: c.name, detail: c.detail })), checks: [...checks] };
}

export interface Liveness {
  alive: boolean;
  detail: string;
  /** Since the loop last came round. */
  lastTurnMsAgo: number | null;
}

/**
 * The consume loop comes round at least every consume timeout (a fraction of a second) whatever
 * the lanes wait for; one that has not for `staleMs` is stuck. A stopped loop is not alive.
 */
export function liveness(loop: { running: boolean; lastTurnAtMs: number }, now = Date.now(), staleMs = 30_000): Liveness {
  if (loop.lastTurnAtMs === 0) return { alive: true, detail: 'starting', lastTurnMsAgo: null };
  const ago = now - loop.lastTurnAtMs;
  if (!loop.running) return { alive: false, detail: 'the consume loop has stopped', lastTurnMsAgo: ago };
  if (ago > staleMs) return { alive: false, detail: `the consume loop has not come round for ${Math.round(ago / 1000)}s`, lastTurnMsAgo: ago };
  return { alive: true, detail: 'the consume loop is running', lastTurnMsAgo: ago };
}
