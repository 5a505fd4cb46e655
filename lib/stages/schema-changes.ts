import { ddlKind, isAdditive, type DdlMode } from '../ddl';
import { OWN_TABLE_PREFIX } from '../config';
import type { Stage } from '../dsl';
import type { ChangeEvent } from '../model';

export interface SchemaChangesOptions {
  /** TANDEM_DDL: `all` (default, like native replication), `additive` (only what cannot lose data), `none`. */
  mode?: DdlMode;
  /** Whether a table is synced: its schema changes cross. */
  synced: (table: string) => boolean;
  /** Tandem's own tables (each side keeps its own; never replayed). Default `tandem_`. */
  ownTablePrefix?: string;
}

/**
 * Decides which schema changes (`op: 'ddl'` events, from Debezium's schema-change topic) cross:
 * those of synced tables, by TANDEM_DDL. Rows pass untouched. Dropped and counted: the snapshot's
 * CREATE statements (the tables exist on both sides), statements that change no table (triggers,
 * views), changes of Tandem's own tables (each side migrates its own) and of tables not synced.
 */
export function schemaChanges(options: SchemaChangesOptions): Stage {
  const mode = options.mode ?? 'all';
  const own = options.ownTablePrefix ?? OWN_TABLE_PREFIX;
  return {
    kind: 'schema-changes',
    describe: () => `schema changes of synced tables cross (TANDEM_DDL=${mode})`,
    process(events, ctx) {
      const out: ChangeEvent[] = [];
      for (const event of events) {
        if (event.op !== 'ddl' || !event.ddl) {
          out.push(event);
          continue;
        }
        const statement = event.ddl.statement;
        const tables = event.ddl.tables.length ? event.ddl.tables.map((t) => t.table) : [event.source.table];
        const kind = ddlKind(statement);
        if (event.source.snapshot !== false) ctx.count('ddlSnapshot');
        else if (kind === 'other') ctx.count('ddlOtherStatements');
        else if (tables.some((t) => t.startsWith(own))) ctx.count('ddlTandemTables');
        else if (!tables.some(options.synced)) ctx.count('ddlTablesNotSynced');
        else if (mode === 'none') ctx.count('ddlNotReplicated');
        else if (mode === 'additive' && !isAdditive(statement)) ctx.count('ddlNotAdditive');
        else out.push(event);
      }
      return out;
    },
  };
}
