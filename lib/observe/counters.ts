// Monotonic counters the runtime and stages bump; the status line and logs read snapshots.
export const counterNames = ['recordsIn', 'recordsOut', 'echoesSuppressed', 'conflictsResolved', 'deadLettered', 'skipped'] as const;
export type CounterName = (typeof counterNames)[number];
export type CounterSnapshot = Record<CounterName, number>;

export class Counters {
  private values: CounterSnapshot = Counters.zero();

  static zero(): CounterSnapshot {
    return { recordsIn: 0, recordsOut: 0, echoesSuppressed: 0, conflictsResolved: 0, deadLettered: 0, skipped: 0 };
  }

  add(name: CounterName, n = 1): void {
    this.values[name] += n;
  }

  /** Adds every known counter found in `deltas` (e.g. a batch outcome's counters); ignores others. */
  addAll(deltas: Partial<Record<string, number>>): void {
    for (const name of counterNames) {
      const v = deltas[name];
      if (typeof v === 'number' && Number.isFinite(v)) this.values[name] += v;
    }
  }

  snapshot(): CounterSnapshot {
    return { ...this.values };
  }
}
