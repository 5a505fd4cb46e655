import type { SyncedTables } from '../config';
import type { Stage } from '../dsl';
import { routedTo, type ChangeEvent, type Row } from '../model';

/** How one source table lands in the target. */
export interface TableRoute {
  /** Target table name (default: the same name). */
  table?: string;
  /** Source column → target column. */
  rename?: Readonly<Record<string, string>>;
  /** Source columns not written to the target. */
  drop?: readonly string[];
}

export interface RouteByTableOptions {
  /** Per source table: a route, a target table name, or `true` for "same name, same columns". */
  routes: Readonly<Record<string, TableRoute | string | true>>;
  /** Source tables whose changes are dropped on purpose (counted as `ignored`). */
  ignore?: readonly string[];
  /**
   * Tables routed to the table of the same name while they are synced: a live set that schema
   * changes move (RENAME TABLE; under TANDEM_TABLES=* tables created while Tandem runs). Under
   * `*`, a row of a table not synced yet waits for its CREATE TABLE to be replayed; a row of a
   * table that cannot be synced is dropped and counted.
   */
  same?: SyncedTables;
}

/** A route as the stage runs it: what is decided once per route, not per event. */
interface Route extends Required<TableRoute> {
  /** Keeps every column under its name: rows pass as they are (no copy per event). */
  keepsColumns: boolean;
  /** The `event.target` of its events, shared by them (frozen: a stage sets its own). */
  target: { table: string };
}

function routeOf(table: string, rename: Readonly<Record<string, string>>, drop: readonly string[]): Route {
  return { table, rename, drop, keepsColumns: drop.length === 0 && Object.keys(rename).length === 0, target: Object.freeze({ table }) };
}

function normalise(table: string, route: TableRoute | string | true): Route {
  const r = route === true ? {} : typeof route === 'string' ? { table: route } : route;
  const rename = r.rename ?? {};
  const targets = Object.values(rename);
  if (new Set(targets).size !== targets.length) throw new RangeError(`route for ${table}: two columns are renamed to the same name`);
  return routeOf(r.table ?? table, rename, r.drop ?? []);
}

function mapRow(row: Row | null, route: Required<TableRoute>): Row | null {
  if (!row) return null;
  const out: Row = {};
  for (const [column, value] of Object.entries(row)) {
    if (!route.drop.includes(column)) out[route.rename[column] ?? column] = value;
  }
  return out;
}

/** What a route does to the columns, for describe(): ` (body→text, drops meta)`, or nothing. */
function columnsOf(route: Required<TableRoute>): string {
  const parts = [...Object.entries(route.rename).map(([from, to]) => `${from}→${to}`), ...(route.drop.length > 0 ? [`drops ${route.drop.join(', ')}`] : [])];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Per-table routing and mapping: sets `event.target` and renames/drops columns in `before`,
 * `after` and `key`. An event for a table with no route is dead-lettered with the reason; ignored
 * tables are dropped and counted. Nothing disappears silently.
 */
export function routeByTable(options: RouteByTableOptions): Stage {
  const routes = new Map(Object.entries(options.routes).map(([t, r]) => [t, normalise(t, r)]));
  const ignore = new Set(options.ignore ?? []);
  const both = [...ignore].filter((t) => routes.has(t));
  if (both.length > 0) throw new RangeError(`routeByTable: ${both.join(', ')} both routed and ignored`);
  // The same-name route of each table, made once (not per event).
  const identities = new Map<string, Route>();
  const identityOf = (table: string) => {
    let r = identities.get(table);
    if (!r) identities.set(table, (r = routeOf(table, {}, [])));
    return r;
  };
  const summary = [...routes].map(([from, r]) => `${from === r.table ? from : `${from}→${r.table}`}${columnsOf(r)}`).join(', ');
  return {
    kind: 'route-by-table',
    describe: () => {
      const same = options.same;
      const live = same ? `${same.all ? 'every table Tandem syncs (TANDEM_TABLES=*)' : `synced tables (${same.names().join(', ')})`} to the table of the same name` : '';
      const unrouted = same?.all ? 'a table not synced yet joins at its first row, when both sides have it' : 'unrouted → dead letters';
      return `${[summary, live].filter(Boolean).join('; ')}${ignore.size > 0 ? `; ignores ${[...ignore].join(', ')}` : ''}; ${unrouted}`;
    },
    process(events, ctx) {
      const out: ChangeEvent[] = [];
      for (const event of events) {
        const table = event.source.table;
        const same = options.same;
        // Under *, a table not synced yet goes to the sink too: its first row there decides
        // whether it joins (it is there and can be synced) or waits for its CREATE TABLE.
        const route = routes.get(table) ?? (same?.has(table) || (same?.all && same.refusal(table) === undefined) ? identityOf(table) : undefined);
        if (!route && same?.refusal(table) !== undefined) {
          ctx.count('tablesNotSynced');
        } else if (route && event.op === 'ddl') {
          // A statement can be replayed only where the table has the same name and columns.
          if (route.table === table && route.keepsColumns) out.push(routedTo(event, route.target));
          else ctx.count('ddlNotRoutable');
        } else if (route && route.keepsColumns) {
          out.push(routedTo(event, route.target));
        } else if (route) {
          const key = mapRow(event.key, route) ?? {};
          out.push(routedTo(event, route.target, { before: mapRow(event.before, route), after: mapRow(event.after, route), key }));
        } else if (ignore.has(table)) {
          ctx.count('ignored');
        } else {
          ctx.deadLetter(event, `no route for table "${table}" (routed: ${[...routes.keys()].join(', ') || 'none'})`);
        }
      }
      return out;
    },
  };
}

/** Every configured table routed to the table of the same name. */
export function sameTables(tables: readonly { name: string }[]): Record<string, true> {
  return Object.fromEntries(tables.map((t) => [t.name, true as const]));
}
