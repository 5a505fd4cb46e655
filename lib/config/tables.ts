/** A synced table and its primary-key columns, in key order. */
export interface TableSpec {
  name: string;
  primaryKey: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Parses `rooms,members:room_id+user_id,messages`: tables separated by commas, an optional
 * `:col+col` giving the primary key (default `id`). Returns the error text instead of throwing so
 * the caller can name the setting it came from.
 */
export function parseTables(text: string): TableSpec[] | string {
  const specs: TableSpec[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') return 'has an empty table entry';
    const [name, key, extra] = part.split(':').map((p) => p.trim());
    if (extra !== undefined) return `entry "${part}" has more than one ":"`;
    if (!IDENTIFIER.test(name)) return `table name "${name}" is not a plain identifier`;
    const primaryKey = key === undefined ? ['id'] : key.split('+').map((c) => c.trim());
    const bad = primaryKey.find((c) => !IDENTIFIER.test(c));
    if (bad !== undefined) return `primary-key column "${bad}" of table ${name} is not a plain identifier`;
    if (specs.some((s) => s.name === name)) return `table ${name} is listed twice`;
    specs.push({ name, primaryKey });
  }
  return specs;
}

export function formatTables(tables: readonly TableSpec[]): string {
  return tables.map((t) => (t.primaryKey.length === 1 && t.primaryKey[0] === 'id' ? t.name : `${t.name}:${t.primaryKey.join('+')}`)).join(',');
}

/** Primary-key columns per table name. */
export function primaryKeys(tables: readonly TableSpec[]): Map<string, string[]> {
  return new Map(tables.map((t) => [t.name, t.primaryKey]));
}
