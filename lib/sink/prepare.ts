// Turns a routed ChangeEvent into the values one row of a statement binds, or says why it
// cannot be written (a poison record for the dead-letter output). No I/O.
import { LocalDateTime, epochMicrosOf, type ChangeEvent, type ColumnValue } from '../model';
import { TandemError } from '../errors';
import { toSqlValue, type SqlValue } from './dialect';
import type { TableMeta } from './table-meta';

export interface PreparedUpsert {
  kind: 'upsert';
  event: ChangeEvent;
  /** In `meta.insertColumns` order. */
  values: SqlValue[];
  key: SqlValue[];
  version: bigint;
}

export interface PreparedDelete {
  kind: 'delete';
  event: ChangeEvent;
  key: SqlValue[];
  deletedAt: string;
  origin: number;
}

export type Prepared = PreparedUpsert | PreparedDelete;

export function targetTableOf(event: ChangeEvent): string {
  return event.target?.table ?? event.source.table;
}

class Refused extends Error {}
/** The row has another shape than the target table: a schema change not applied here (yet). */
class OtherShape extends Refused {}

function keyValues(meta: TableMeta, event: ChangeEvent, row: Record<string, ColumnValue> | null): SqlValue[] {
  return meta.primaryKey.map((c) => {
    const v = event.key[c] ?? row?.[c];
    if (v === undefined || v === null) throw new Refused(`primary key column ${c} of ${meta.name} is missing from the event`);
    return toSqlValue(v, c);
  });
}

const columnSets = new WeakMap<TableMeta, Set<string>>();
function knownColumns(meta: TableMeta): Set<string> {
  let known = columnSets.get(meta);
  if (!known) columnSets.set(meta, (known = new Set(meta.insertColumns)));
  return known;
}

function prepareUpsert(meta: TableMeta, event: ChangeEvent): PreparedUpsert {
  const after = event.after;
  if (!after) throw new Refused(`op ${event.op} without an after image`);
  const known = knownColumns(meta);
  // for-in over the row allocates nothing on the good path (this runs for every row).
  for (const c in after) {
    if (!known.has(c) && !meta.generated.has(c)) {
      const unknown = Object.keys(after).filter((k) => !known.has(k) && !meta.generated.has(k));
      throw new OtherShape(`the row has column(s) ${unknown.join(', ')}, which ${meta.name} does not have here`);
    }
  }
  const values = meta.insertColumns.map((c) => {
    const v = after[c];
    if (v === undefined) {
      // A row written at its source before the column was added there: the column's default is
      // what that side holds for it too (docs/schema-changes.md).
      const d = meta.defaults?.get(c);
      if (d !== undefined) return d;
      throw new OtherShape(`the row lacks column ${c}, which ${meta.name} has here without a constant default (dropped or renamed at the source)`);
    }
    return toSqlValue(v, c);
  });
  const versionValue = after[meta.version];
  const version = versionValue === undefined || versionValue === null ? undefined : epochMicrosOf(versionValue);
  if (version === undefined) throw new Refused(`${meta.version} is null or not a timestamp; last-writer-wins cannot order this row`);
  return { kind: 'upsert', event, values, key: keyValues(meta, event, after), version };
}

function prepareDelete(meta: TableMeta, event: ChangeEvent): PreparedDelete {
  // Policy (docs/sink.md): a delete without its time cannot be ordered against updates, so it
  // is not guessed from the row image; deletes reach the sink through carryDeletes.
  if (!event.deletedAt) {
    throw new Refused('delete without deletedAt cannot be ordered (last-writer-wins); route deletes through carryDeletes (tandem_tombstones)');
  }
  return {
    kind: 'delete',
    event,
    key: keyValues(meta, event, event.before),
    deletedAt: new LocalDateTime(event.deletedAt.epochMicros, 6).toString(),
    origin: event.source.serverId,
  };
}

/** The prepared row, or the reason it is poison, or (`shape`) why it waits for a schema change. */
export function prepare(meta: TableMeta, event: ChangeEvent): Prepared | { reason: string; shape?: true } {
  try {
    if (event.op === 'd') return prepareDelete(meta, event);
    if (event.op === 'c' || event.op === 'u' || event.op === 'r') return prepareUpsert(meta, event);
    return { reason: `unknown op ${JSON.stringify(event.op)}` };
  } catch (err) {
    if (err instanceof OtherShape) return { reason: err.message, shape: true };
    if (err instanceof Refused || (err instanceof TandemError && err.kind === 'poison')) return { reason: err.message };
    throw err;
  }
}
