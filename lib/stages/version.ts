import { columnTypeOfSchema, contentHash, deleteVersion, epochMicrosOf, rowVersion, type ChangeEvent, type Row, type Version } from '../model';

export const UPDATED_AT = 'updated_at';

/**
 * The version an event carries (lib/model/ordering.ts), or undefined when it has none (no
 * `updated_at`, a delete without `deletedAt`). A row's content digest covers its columns other
 * than key and version, in table order (the record schema's, else the row's own), typed by the
 * schema as far as it tells (`columnTypeOfSchema`).
 */
export function versionOf(event: ChangeEvent, column = UPDATED_AT): Version | undefined {
  if (event.op === 'd') return event.deletedAt ? deleteVersion(event.deletedAt.epochMicros) : undefined;
  const after = event.after;
  const value = after?.[column];
  const micros = value === undefined ? undefined : epochMicrosOf(value);
  return after && micros !== undefined ? rowVersion(micros, () => eventContentHash(event, after, column)) : undefined;
}

function eventContentHash(event: ChangeEvent, after: Row, column: string): string {
  const isData = (name: string) => name !== column && !(name in event.key);
  const names = Object.keys(after).filter(isData);
  const schemas = event.columns?.filter((c) => isData(c.name) && c.name in after);
  // The schema names the source's columns; a stage that renamed some leaves only the row to go by.
  if (schemas && schemas.length === names.length) return contentHash(schemas.map((c) => ({ value: after[c.name], type: columnTypeOfSchema(c) })));
  return contentHash(names.map((name) => ({ value: after[name] })));
}
