// Last-writer-wins, written once (docs/loop-prevention.md §2). In production MariaDB decides, in
// the sink's guard (lib/sink/dialect.ts: the upsert's `winsExpr`, the tombstone guard
// `deleted_at >= updated_at`, `deleteGuarded`, the tombstone upsert's `GREATEST`); this is that
// order for what decides outside it: the lastWriterWins stage and the test driver's in-memory
// database. One table of conflicts runs against MariaDB and the in-memory database alike
// (test/unit/testing/fixtures/lww-cases.ts), so a driver test can name the exact winner.
//
// Between two *different* keys claiming one UNIQUE value the sink uses another order (version,
// then the greater key's JSON bytes: lib/sink/unique-keys.ts), decided in SQL only.

/** A row's or a delete's place in last-writer-wins order. */
export interface Version {
  /** `updated_at` of a row, `deleted_at` of a delete, in integer microseconds (never a JS Date). */
  micros: bigint;
  deleted: boolean;
  /**
   * A row's content digest (lib/model/content-hash.ts), the tie-break between two rows at one
   * time. A function: it is computed only when two rows tie, not for every change.
   */
  content?: () => string;
}

export function rowVersion(micros: bigint, content?: () => string): Version {
  return content ? { micros, deleted: false, content: once(content) } : { micros, deleted: false };
}

export function deleteVersion(micros: bigint): Version {
  return { micros, deleted: true };
}

/**
 * > 0 when `a` is later than `b`, < 0 when earlier, 0 when neither is:
 * 1. the greater time;
 * 2. at one time a delete beats a row (deletes win ties: a row at `updated_at <= deleted_at` goes);
 * 3. two rows at one time: the greater content digest (both must carry one to compare).
 * Two deletes at one time, or two rows of one digest, are equal.
 */
export function compareVersions(a: Version, b: Version): number {
  if (a.micros !== b.micros) return a.micros > b.micros ? 1 : -1;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  if (a.deleted || !a.content || !b.content) return 0;
  const [x, y] = [a.content(), b.content()];
  return x === y ? 0 : x > y ? 1 : -1;
}

/**
 * Whether `incoming` takes the place of `held` (the row or tombstone already there, or the change
 * kept so far in a batch): only when strictly later. An equal one leaves what is there, as the
 * guard's `>` does, and as the tombstone keeps its origin on an equal `deleted_at`.
 */
export function replaces(incoming: Version, held: Version): boolean {
  return compareVersions(incoming, held) > 0;
}

function once(f: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= f());
}
