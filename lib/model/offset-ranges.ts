// Which records a batch or a flush held, short enough for a log line: each partition's offsets as
// runs of consecutive ones. A batch holds a partition's records in offset order (mostly one run);
// a flush holds the rows of its connection's keys, so its runs interleave with other flushes'.

/** `topic[partition]@first-last,next,...` per partition, in the order first seen; runs in offset order. */
export function offsetRanges(records: Iterable<{ topic: string; partition: number; offset: bigint | string }>): string[] {
  const byPartition = new Map<string, bigint[]>();
  for (const r of records) {
    const key = `${r.topic}[${r.partition}]`;
    let offsets = byPartition.get(key);
    if (!offsets) byPartition.set(key, (offsets = []));
    offsets.push(BigInt(r.offset));
  }
  return [...byPartition].map(([key, offsets]) => `${key}@${runs(offsets)}`);
}

function runs(offsets: bigint[]): string {
  offsets.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out: string[] = [];
  let first = offsets[0];
  let last = first;
  const close = () => out.push(first === last ? `${first}` : `${first}-${last}`);
  for (const o of offsets.slice(1)) {
    if (o === last || o === last + 1n) last = o;
    else {
      close();
      first = last = o;
    }
  }
  close();
  return out.join(',');
}
