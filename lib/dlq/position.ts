// Where a dead letter sits in the dead-letter topic, as the CLI names it: `<offset>` in partition
// 0 (Tandem's own topic has one), `<partition>:<offset>` in general.

export interface DlqPosition {
  partition: number;
  offset: bigint;
}

export function formatPosition(p: DlqPosition): string {
  return p.partition === 0 ? String(p.offset) : `${p.partition}:${p.offset}`;
}

/** `12` or `3:12`; a message saying what is wrong otherwise. */
export function parsePosition(text: string): DlqPosition | string {
  const m = /^(?:(\d{1,9}):)?(\d{1,19})$/.exec(text);
  if (!m) return `${text} is not a dead-letter position (an offset, or <partition>:<offset>, as tandem dlq list prints them)`;
  return { partition: m[1] === undefined ? 0 : Number(m[1]), offset: BigInt(m[2]) };
}

export const samePosition = (a: DlqPosition, b: DlqPosition) => a.partition === b.partition && a.offset === b.offset;
