// Tracks, per topic-partition, which consumed offsets are finished (written by the sink or
// dead-lettered) so that only the highest *contiguous* finished offset is ever committed.
// Batches of one partition may complete out of order; a gap holds the commit back.

export function partitionKey(topic: string, partition: number): string {
  // Asked several times for every record: one string per partition, made once (a topic's name is
  // hashed once per lookup here instead of once per new string in every map the key goes into).
  let byPartition = partitionKeys.get(topic);
  if (byPartition === undefined) partitionKeys.set(topic, (byPartition = []));
  return (byPartition[partition] ??= `${topic}\u0000${partition}`);
}
const partitionKeys = new Map<string, string[]>();

interface Range {
  first: bigint;
  last: bigint;
  done: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Ranges handed out and not yet committed, in offset order. */
  ranges: Range[];
  /** Next offset to commit (Kafka convention: last finished + 1); null until something finished. */
  committable: bigint | null;
  /** What was last committed (or handed to commit). */
  committed: bigint | null;
}

export interface CommitOffset {
  topic: string;
  partition: number;
  /** Next offset to read, i.e. last finished + 1. */
  offset: bigint;
}

export class OffsetTracker {
  private parts = new Map<string, PartitionState>();

  private state(topic: string, partition: number): PartitionState {
    const k = partitionKey(topic, partition);
    let s = this.parts.get(k);
    if (!s) {
      s = { topic, partition, ranges: [], committable: null, committed: null };
      this.parts.set(k, s);
    }
    return s;
  }

  /** Registers a consumed batch of one partition: offsets first..last, in order. Returns a handle for `complete`. */
  begin(topic: string, partition: number, first: bigint, last: bigint): () => void {
    if (last < first) throw new RangeError(`empty offset range ${first}..${last} on ${topic}[${partition}]`);
    const s = this.state(topic, partition);
    const tail = s.ranges[s.ranges.length - 1];
    if (tail && first <= tail.last) {
      throw new RangeError(`offsets ${first}..${last} of ${topic}[${partition}] overlap ${tail.first}..${tail.last} already in flight`);
    }
    const range: Range = { first, last, done: false };
    s.ranges.push(range);
    return () => {
      range.done = true;
      while (s.ranges.length > 0 && s.ranges[0].done) {
        const head = s.ranges.shift() as Range;
        s.committable = head.last + 1n;
      }
    };
  }

  /** Records consumed and not finished, per partition. */
  pendingCount(topic: string, partition: number): number {
    const s = this.parts.get(partitionKey(topic, partition));
    if (!s) return 0;
    let n = 0;
    for (const r of s.ranges) if (!r.done) n += Number(r.last - r.first + 1n);
    return n;
  }

  /**
   * Offsets that advanced since the last call (only these need committing). With `again`, also
   * those already handed out: an asynchronous commit's failure is only logged, so the final and
   * the pre-revoke (synchronous) commits repeat every position rather than trust it.
   */
  takeCommittable(filter?: (topic: string, partition: number) => boolean, again = false): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const s of this.parts.values()) {
      if (filter && !filter(s.topic, s.partition)) continue;
      if (s.committable !== null && (again || s.committable !== s.committed)) {
        out.push({ topic: s.topic, partition: s.partition, offset: s.committable });
        s.committed = s.committable;
      }
    }
    return out;
  }

  /** Puts offsets back as not committed (the commit failed), so the next commit retries them. */
  uncommit(offsets: readonly CommitOffset[]): void {
    for (const o of offsets) {
      const s = this.parts.get(partitionKey(o.topic, o.partition));
      if (s && s.committed === o.offset) s.committed = null;
    }
  }

  /** The last committed (or committable) position, for lag. */
  position(topic: string, partition: number): bigint | null {
    return this.parts.get(partitionKey(topic, partition))?.committable ?? null;
  }

  /** Forgets partitions this instance no longer owns. */
  forget(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) this.parts.delete(partitionKey(p.topic, p.partition));
  }

  partitions(): { topic: string; partition: number }[] {
    return [...this.parts.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }
}
