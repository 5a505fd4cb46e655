import { epochMicrosOf, type ChangeEvent, type SourceInfo } from '../model';

/**
 * A row's place in last-writer-wins order (docs/loop-prevention.md §2): its time in integer
 * microseconds (`updated_at` of a row, `deletedAt` of a delete) and whether it is a delete.
 */
export interface Version {
  micros: bigint;
  deleted: boolean;
}

export const UPDATED_AT = 'updated_at';

/** The version an event carries, or undefined when it has none (no `updated_at`, a delete without `deletedAt`). */
export function versionOf(event: ChangeEvent, column = UPDATED_AT): Version | undefined {
  if (event.op === 'd') return event.deletedAt ? { micros: event.deletedAt.epochMicros, deleted: true } : undefined;
  const value = event.after?.[column];
  const micros = value === undefined ? undefined : epochMicrosOf(value);
  return micros === undefined ? undefined : { micros, deleted: false };
}

/**
 * > 0 when `a` is newer than `b`, < 0 when older, 0 when neither wins by time alone (same time, both
 * rows or both deletes: the caller's tie-break decides). A delete at time d beats a row with
 * `updated_at <= d`: deletes win ties.
 */
export function compareVersions(a: Version, b: Version): number {
  if (a.micros !== b.micros) return a.micros > b.micros ? 1 : -1;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  return 0;
}

/** Binlog order: file, then position, then row within the event. > 0 when `a` is later. */
export function comparePositions(a: SourceInfo, b: SourceInfo): number {
  if (a.file !== b.file) return a.file.length !== b.file.length ? a.file.length - b.file.length : a.file < b.file ? -1 : 1;
  if (a.pos !== b.pos) return a.pos - b.pos;
  return a.row - b.row;
}
