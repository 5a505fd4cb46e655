import type { TableSpec } from './tables';

/** Tandem's own tables (tombstones and the like): each side keeps its own, never synced. */
export const OWN_TABLE_PREFIX = 'tandem_';

/**
 * The tables Tandem syncs, as they are now: the stages, the sinks and the runtime share one of
 * these, because schema changes move tables while Tandem runs (RENAME TABLE carries the sync to
 * the new name; DROP TABLE ends it; under TANDEM_TABLES=* a table created on one side joins once
 * it exists on both). Tables that cannot be synced are remembered with the reason, so it is said
 * once, not per row.
 */
export class SyncedTables {
  private readonly specs = new Map<string, TableSpec>();
  private readonly refused = new Map<string, string>();
  /** Old name → new name, for changes recorded under a name before its rename was replayed. */
  private readonly renamed = new Map<string, string>();
  /** The tables TANDEM_TABLES names, as it names them: synced again when created again. */
  private readonly configured = new Map<string, TableSpec>();

  /** @param all TANDEM_TABLES=*: tables created while Tandem runs join too. */
  constructor(initial: readonly TableSpec[], readonly all = false) {
    for (const t of initial) {
      this.specs.set(t.name, { name: t.name, primaryKey: [...t.primaryKey] });
      this.configured.set(t.name, { name: t.name, primaryKey: [...t.primaryKey] });
    }
  }

  /** The spec TANDEM_TABLES gives a table, synced or not at the moment (dropped, to be created again). */
  listed(table: string): TableSpec | undefined {
    return this.configured.get(table);
  }

  has(table: string): boolean {
    return this.specs.has(table);
  }

  spec(table: string): TableSpec | undefined {
    return this.specs.get(table);
  }

  list(): TableSpec[] {
    return [...this.specs.values()];
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  /** Starts syncing a table; false when it was synced already. */
  add(spec: TableSpec): boolean {
    this.refused.delete(spec.name);
    if (this.specs.has(spec.name)) return false;
    this.specs.set(spec.name, { name: spec.name, primaryKey: [...spec.primaryKey] });
    return true;
  }

  /** A synced table renamed: the sync follows it. */
  rename(from: string, to: string): void {
    const spec = this.specs.get(from);
    if (!spec) return;
    this.specs.delete(from);
    this.specs.set(to, { ...spec, name: to });
    this.renamed.set(from, to);
    this.renamed.delete(to);
  }

  /**
   * The name a table is synced under now: itself, or where its renames led (a tombstone written
   * under the old name can reach Tandem after the rename was replayed; other lanes, other order).
   */
  current(table: string): string {
    let name = table;
    for (let hops = 0; !this.specs.has(name) && this.renamed.has(name) && hops < 64; hops++) name = this.renamed.get(name) as string;
    return name;
  }

  remove(table: string): void {
    this.specs.delete(table);
  }

  /** Records why a table is not synced; true the first time (the caller says it once). */
  refuse(table: string, reason: string): boolean {
    const first = !this.refused.has(table);
    this.refused.set(table, reason);
    this.specs.delete(table);
    return first;
  }

  /** Why a table is not synced, when Tandem decided it cannot be. */
  refusal(table: string): string | undefined {
    if (table.startsWith(OWN_TABLE_PREFIX)) return "Tandem's own table (each side keeps its own)";
    return this.refused.get(table);
  }
}
