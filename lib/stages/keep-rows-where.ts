import type { Stage } from '../dsl';
import { LocalDateTime, type ChangeEvent, type Row } from '../model';
import { UPDATED_AT, versionOf } from './version';

/** Whether a row image belongs in the target's subset of its table. */
export type RowPredicate = (row: Row) => boolean;

export interface KeepRowsWhereOptions {
  /** The version column, `DATETIME(6)` (default `updated_at`): the time of a delete made here. */
  column?: string;
}

/**
 * Keeps in the target, per table, the rows a predicate accepts, as a view of the source would.
 * A plain `filter` sees each change alone: it would drop the update that takes a row out of the
 * subset (a tip set back to NULL) and leave that row at the target as it last matched. Here such
 * an update (its before image matched, or is unknown) becomes a delete at the update's
 * `updated_at` (`leftAsDeletes`). Inserts, snapshot reads and updates that match neither before nor
 * after are dropped (`filteredOut`). Deletes and tables without a predicate pass: a delete carried
 * by a tombstone names only the key, and deleting a row the target never had records only the
 * tombstone.
 */
export function keepRowsWhere(predicates: Readonly<Record<string, RowPredicate>>, options: KeepRowsWhereOptions = {}): Stage {
  const column = options.column ?? UPDATED_AT;
  const tables = new Map(Object.entries(predicates));
  if (tables.size === 0) throw new RangeError('keepRowsWhere needs a predicate for at least one table');
  return {
    kind: 'keep-rows-where',
    describe: () => `${[...tables.keys()].join(', ')}: the rows a predicate accepts; an update that leaves them becomes a delete`,
    process(events, ctx) {
      const out: ChangeEvent[] = [];
      for (const event of events) {
        const keep = tables.get(event.source.table);
        if (!keep || event.op === 'd' || event.op === 'ddl' || !event.after || keep(event.after)) {
          out.push(event);
        } else if (event.op !== 'u' || (event.before !== null && !keep(event.before))) {
          ctx.count('filteredOut');
        } else {
          const version = versionOf(event, column);
          if (!version) {
            ctx.deadLetter(event, `a ${event.source.table} row leaves the filter but has no ${column} to date its delete`);
            continue;
          }
          ctx.count('leftAsDeletes');
          out.push({ ...event, op: 'd', before: event.after, after: null, deletedAt: new LocalDateTime(version.micros) });
        }
      }
      return out;
    },
  };
}
