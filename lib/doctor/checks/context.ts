// What every check receives: the config and the facts read. Server checks see the databases
// that answered; table checks see one synced table on both of them.
import type { TableSpec, TandemConfig } from '../../config';
import type { ServerFacts, SideFacts, TableFacts } from '../facts';
import type { Finding } from '../finding';
import type { ConnectorsView } from '../read-connectors';

export interface DoctorContext {
  config: TandemConfig;
  /** The databases that answered, in config order. */
  sides: SideFacts[];
  connectors: ConnectorsView;
}

export type ServerCheck = (ctx: DoctorContext) => Finding[];

export interface TableSide {
  server: ServerFacts;
  table: TableFacts;
}

export interface TableContext {
  config: TandemConfig;
  spec: TableSpec;
  /** The table on each database, in config order (it may be missing: no columns). */
  sides: TableSide[];
}

export type TableCheck = (t: TableContext) => Finding[];

export const tableSubject = (name: string): string => `table ${name}`;

/** The subject of a finding about every database at once: `a,b`. */
export const allServers = (ctx: DoctorContext): string => ctx.sides.map((s) => s.server.id).join(',');

export const exists = (t: TableFacts): boolean => t.columns.length > 0;

/**
 * Per-side descriptions in one sentence: `on a and b: X` when they say the same, `on a: X; on b: Y`
 * otherwise. Sides with nothing to say are left out.
 */
export function perSide(items: { id: string; text?: string }[]): string {
  const said = items.filter((i): i is { id: string; text: string } => i.text !== undefined);
  const groups = new Map<string, string[]>();
  for (const i of said) groups.set(i.text, [...(groups.get(i.text) ?? []), i.id]);
  return [...groups].map(([text, ids]) => `on ${ids.join(' and ')}: ${text}`).join('; ');
}

/** A global variable of a server, `?` when it has none (so messages still read). */
export const variable = (s: ServerFacts, name: string): string => s.variables[name] ?? '?';
