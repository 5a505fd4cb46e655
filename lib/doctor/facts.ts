// What the checks read, gathered once per database so every check is a pure function of it
// (unit-tested with made-up facts, db-tested with real ones).
import type { CatalogRow } from '../verify';

export interface ServerFacts {
  /** The database id from the config (`a`, `b`). */
  id: string;
  /** The URL with its password masked. */
  url: string;
  /** The schema the URL names (`chat`). */
  database: string;
  /** `SELECT VERSION()`. */
  version: string;
  /** Global variables by lower-case name (values as text; absent when the server has none). */
  variables: Readonly<Record<string, string>>;
  /** `CURRENT_USER()`: `user@host`. */
  currentUser: string;
  /** `SHOW GRANTS` lines. */
  grants: string[];
  /** Why Tandem's session setup (SET SESSION server_id, gtid_domain_id, ...) failed; undefined when it worked. */
  sessionSetupError?: string;
  /** `NOW() - UTC_TIMESTAMP()` in seconds, in a session with the server's default time zone. */
  utcOffsetS: number;
}

export interface IndexFacts {
  name: string;
  columns: string[];
}

export interface ForeignKeyFacts {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  /** `RESTRICT`, `NO ACTION`, `CASCADE`, `SET NULL`, `SET DEFAULT`. */
  onDelete: string;
  onUpdate: string;
}

export interface TriggerFacts {
  name: string;
  /** `BEFORE INSERT`, `AFTER DELETE`, ... */
  when: string;
  statement: string;
}

export interface TableFacts {
  name: string;
  /** Columns in table order; empty when the table does not exist. */
  columns: CatalogRow[];
  primaryKey: string[];
  /** UNIQUE indexes other than the primary key. */
  uniqueIndexes: IndexFacts[];
  /** Foreign keys this table declares (it is the referencing side). */
  foreignKeys: ForeignKeyFacts[];
  triggers: TriggerFacts[];
}

/** One database, as read: its server and every synced table. */
export interface SideFacts {
  server: ServerFacts;
  tables: ReadonlyMap<string, TableFacts>;
}

/** What the catalog says about a table that is not there. */
export const missingTable = (name: string): TableFacts => ({ name, columns: [], primaryKey: [], uniqueIndexes: [], foreignKeys: [], triggers: [] });
