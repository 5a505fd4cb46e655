// Monotonic counters the runtime and stages bump; the status line, logs, metrics and the status
// page read snapshots. The named totals below are the status line's; besides them every node's
// own counters are kept by node name, whatever a stage chooses to count (rowDeletesDropped,
// purgesDropped, ignored, ...), so no stage's figure is dropped on the way.
export const counterNames = ['recordsIn', 'recordsOut', 'echoesSuppressed', 'conflictsResolved', 'deadLettered', 'skipped'] as const;
export type CounterName = (typeof counterNames)[number];
export type CounterSnapshot = Record<CounterName, number>;

/** A node's counters by name (`in`, `out`, `deadLettered`, and its stage's own). */
export type NodeCounterSnapshot = Record<string, number>;

export class Counters {
  private values: CounterSnapshot = Counters.zero();
  private readonly directions = new Map<string, CounterSnapshot>();
  private readonly nodes = new Map<string, NodeCounterSnapshot>();

  static zero(): CounterSnapshot {
    return { recordsIn: 0, recordsOut: 0, echoesSuppressed: 0, conflictsResolved: 0, deadLettered: 0, skipped: 0 };
  }

  /** Adds to the total and, when given, to one direction's (a source node's) share. */
  add(name: CounterName, n = 1, direction?: string): void {
    this.values[name] += n;
    if (direction !== undefined) this.direction(direction)[name] += n;
  }

  /** Adds every known counter found in `deltas` (e.g. a batch outcome's counters); ignores others. */
  addAll(deltas: Partial<Record<string, number>>, direction?: string): void {
    for (const name of counterNames) {
      const v = deltas[name];
      if (typeof v === 'number' && Number.isFinite(v)) this.add(name, v, direction);
    }
  }

  /** Adds a batch's per-node counters (node name → counter name → count). */
  addNodes(nodes: Readonly<Record<string, Readonly<Record<string, number>>>>): void {
    for (const [node, counters] of Object.entries(nodes)) {
      let into = this.nodes.get(node);
      if (!into) this.nodes.set(node, (into = {}));
      for (const [name, v] of Object.entries(counters)) if (Number.isFinite(v)) into[name] = (into[name] ?? 0) + v;
    }
  }

  snapshot(): CounterSnapshot {
    return { ...this.values };
  }

  /** The named totals per direction, for the directions seen so far. */
  byDirection(): Record<string, CounterSnapshot> {
    return Object.fromEntries([...this.directions].map(([d, c]) => [d, { ...c }]));
  }

  /** Every node's counters, by node name. */
  byNode(): Record<string, NodeCounterSnapshot> {
    return Object.fromEntries([...this.nodes].map(([n, c]) => [n, { ...c }]));
  }

  private direction(name: string): CounterSnapshot {
    let c = this.directions.get(name);
    if (!c) this.directions.set(name, (c = Counters.zero()));
    return c;
  }
}
