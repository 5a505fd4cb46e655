import { SyncedTables, TOMBSTONE_TABLE, primaryKeys, type TableSpec } from '../config';
import type { Stage } from '../dsl';
import { LocalDateTime, type ChangeEvent, type Row } from '../model';
import { parseKeyJson } from './keys';

export interface CarryDeletesOptions {
  /** Synced tables with their primary-key columns (config.tables, or the live set as schema changes move them). */
  tables: readonly TableSpec[] | SyncedTables;
  tombstoneTable?: string;
}

/** A delete event for the row a tombstone names, or the reason it cannot be built. */
function deleteFrom(tombstone: ChangeEvent, keys: ReadonlyMap<string, string[]>, current: (table: string) => string): ChangeEvent | string {
  const after = tombstone.after ?? {};
  const { tbl: recorded, pk, deleted_at: deletedAtValue } = after;
  if (typeof recorded !== 'string' || typeof pk !== 'string') return `tombstone row has no tbl/pk text (got tbl=${String(recorded)}, pk=${String(pk)})`;
  // Recorded under the name the table had then; it may have been renamed since.
  const tbl = current(recorded);
  const columns = keys.get(tbl);
  if (!columns) return `tombstone for table "${tbl}", which is not a synced table (have ${[...keys.keys()].join(', ')})`;
  // Exact: a BIGINT key beyond 2^53 (Snowflake ids) must name the same row on the other side.
  const values = parseKeyJson(pk);
  if (values === undefined) return `tombstone pk ${JSON.stringify(pk)} for ${tbl} is not a JSON array of scalars`;
  if (values.length !== columns.length) {
    return `tombstone pk ${pk} for ${tbl} must be a JSON array of ${columns.length} value(s) (${columns.join(', ')})`;
  }
  let deletedAt: LocalDateTime;
  try {
    deletedAt = deletedAtValue instanceof LocalDateTime ? deletedAtValue : LocalDateTime.parse(String(deletedAtValue));
  } catch {
    return `tombstone for ${tbl} ${pk} has no usable deleted_at (got ${String(deletedAtValue)})`;
  }
  const key: Row = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
  return {
    op: 'd',
    before: { ...key },
    after: null,
    key,
    source: { ...tombstone.source, table: tbl },
    headers: { ...tombstone.headers, 'tandem-origin': String(after.origin ?? tombstone.source.serverId) },
    ...(tombstone.kafka ? { kafka: tombstone.kafka } : {}),
    deletedAt,
  };
}

/**
 * Deletes travel as Tandem tombstone rows (docs/loop-prevention.md §3): a change of a
 * `tandem_tombstones` row becomes a delete of the row it names, with its `deleted_at` as the
 * delete's time. Row-topic deletes (their duplicates, with no usable time), deletes of
 * tombstone rows (retention purges) and tombstones of tables not synced are dropped and counted.
 */
export function carryDeletes(options: CarryDeletesOptions): Stage {
  const fixed = options.tables instanceof SyncedTables ? undefined : primaryKeys(options.tables);
  const live = options.tables instanceof SyncedTables ? options.tables : undefined;
  const tombstones = options.tombstoneTable ?? TOMBSTONE_TABLE;
  return {
    kind: 'carry-deletes',
    describe: () => `${tombstones} rows become deletes; row-topic deletes dropped`,
    process(events, ctx) {
      const keys = fixed ?? primaryKeys(live?.list() ?? []);
      const out: ChangeEvent[] = [];
      for (const event of events) {
        if (event.op === 'ddl') {
          out.push(event); // a schema change passes in its place
        } else if (event.source.table !== tombstones) {
          if (event.op === 'd') ctx.count('rowDeletesDropped');
          else out.push(event);
        } else if (event.op === 'd') {
          ctx.count('purgesDropped');
        } else if (typeof event.after?.tbl === 'string' && !keys.has(live?.current(event.after.tbl) ?? event.after.tbl)) {
          // A delete of a table this topology does not sync (its triggers stay from another set
          // of TANDEM_TABLES, or another topology syncs it): not this stream's to carry.
          ctx.count('tombstonesOfOtherTables');
        } else {
          const carried = deleteFrom(event, keys, (t) => live?.current(t) ?? t);
          if (typeof carried === 'string') ctx.deadLetter(event, carried);
          else out.push(carried);
        }
      }
      return out;
    },
  };
}
