// Whether the consumer still has its group coordinator, from librdkafka's statistics (cgrp.state
// is `up` while it has one). A consumer that stays without one for long is wedged, not waiting:
// since librdkafka 2.10 a client can drop a restarting broker from its view and never look for the
// coordinator again (confluentinc/librdkafka#5511; it answers "no broker available for
// coordinator query" for ever, while the broker is up). Only a new client gets out of that.

/** The consumer group's part of one librdkafka statistics report. */
export interface GroupState {
  /** librdkafka's cgrp state: `up` once the coordinator is known and connected. */
  state: string;
  /** How long it has been in that state. */
  stateAgeMs: number;
}

/** The group state of a statistics report (node-rdkafka hands it over as `{ message: json }`); undefined when it has none. */
export function groupStateOf(report: unknown): GroupState | undefined {
  const text = typeof report === 'string' ? report : (report as { message?: unknown } | null)?.message;
  if (typeof text !== 'string') return undefined;
  let stats: { cgrp?: { state?: unknown; stateage?: unknown } };
  try {
    stats = JSON.parse(text) as typeof stats;
  } catch {
    return undefined;
  }
  const { state, stateage } = stats.cgrp ?? {};
  if (typeof state !== 'string') return undefined;
  return { state, stateAgeMs: typeof stateage === 'number' ? stateage : 0 };
}

export class CoordinatorWatch {
  /** Since when (epoch ms) the group has been without its coordinator; undefined while it has one. */
  private lostSinceMs: number | undefined;

  constructor(private readonly limitMs: number) {}

  /**
   * Takes one report; says how long the coordinator has been missing once that is longer than
   * the limit (the client is then to be replaced), undefined otherwise. The state flaps between
   * querying and waiting for the coordinator, so the wait is counted from the first report without it.
   */
  observe(group: GroupState | undefined, nowMs: number): number | undefined {
    if (!group) return undefined;
    if (group.state === 'up') {
      this.lostSinceMs = undefined;
      return undefined;
    }
    this.lostSinceMs ??= nowMs - group.stateAgeMs;
    const lostMs = nowMs - this.lostSinceMs;
    return lostMs > this.limitMs ? lostMs : undefined;
  }

  /** Whether the last report said the group has its coordinator (a synchronous commit can only succeed then). */
  hasCoordinator(): boolean {
    return this.lostSinceMs === undefined;
  }

  /** A new client starts with a clean slate. */
  reset(): void {
    this.lostSinceMs = undefined;
  }
}
