// What a DDL statement is, read from its text: the kind of statement, whether it can lose data,
// and the same statement for a database of another name. Debezium hands Tandem the statement as
// the source ran it; Tandem replays it on the other side (docs/schema-changes.md).

export type DdlKind = 'alter-table' | 'create-table' | 'create-index' | 'drop-index' | 'rename-table' | 'truncate' | 'drop-table' | 'other';

/** How much DDL crosses (TANDEM_DDL): everything, only what cannot lose data, or nothing. */
export type DdlMode = 'all' | 'additive' | 'none';

/** The statement without leading comments and whitespace (`/* ... *\/`, `-- ...`, `# ...`). */
export function stripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('/*') && !t.startsWith('/*!')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else if (t.startsWith('--') || t.startsWith('#')) {
      const end = t.indexOf('\n');
      s = end < 0 ? '' : t.slice(end + 1);
    } else return t;
  }
}

const KINDS: [RegExp, DdlKind][] = [
  [/^ALTER\s+(ONLINE\s+)?(IGNORE\s+)?TABLE\b/i, 'alter-table'],
  [/^CREATE\s+(OR\s+REPLACE\s+)?(TEMPORARY\s+)?TABLE\b/i, 'create-table'],
  [/^CREATE\s+(OR\s+REPLACE\s+)?(ONLINE\s+|OFFLINE\s+)?(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b/i, 'create-index'],
  [/^DROP\s+INDEX\b/i, 'drop-index'],
  [/^RENAME\s+TABLES?\b/i, 'rename-table'],
  [/^TRUNCATE\b/i, 'truncate'],
  [/^DROP\s+(TEMPORARY\s+)?TABLES?\b/i, 'drop-table'],
];

export function ddlKind(statement: string): DdlKind {
  const s = stripLeadingComments(statement);
  if (/^CREATE\s+(OR\s+REPLACE\s+)?TEMPORARY\s+TABLE\b/i.test(s) || /^DROP\s+TEMPORARY\b/i.test(s)) return 'other';
  return KINDS.find(([re]) => re.test(s))?.[1] ?? 'other';
}

/** The statement's top-level comma-separated parts (not inside parentheses, quotes or backticks). */
export function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** ALTER TABLE clauses that only add (a column, an index, a key, a check) or change table options. */
const ADDITIVE_CLAUSE = /^(ADD\s+(COLUMN\b|INDEX\b|KEY\b|UNIQUE\b|FULLTEXT\b|SPATIAL\b|CONSTRAINT\b|FOREIGN\s+KEY\b|CHECK\b|`|\w)|COMMENT\b|ALGORITHM\b|LOCK\b|ENGINE\b|DEFAULT\s+CHARSET|CHARACTER\s+SET|ROW_FORMAT\b|AUTO_INCREMENT\b|FORCE\b)/i;

/**
 * Whether the statement cannot lose data (TANDEM_DDL=additive): CREATE TABLE / INDEX, and
 * ALTER TABLE whose every clause adds something or sets a table option. MODIFY, CHANGE, RENAME,
 * DROP, TRUNCATE change or remove what exists.
 */
export function isAdditive(statement: string): boolean {
  const s = stripLeadingComments(statement);
  const kind = ddlKind(s);
  if (kind === 'create-table' || kind === 'create-index') return !/^CREATE\s+OR\s+REPLACE/i.test(s);
  if (kind !== 'alter-table') return false;
  const body = s.replace(/^ALTER\s+(ONLINE\s+)?(IGNORE\s+)?TABLE\s+(`(?:[^`]|``)+`|[\w$]+)(\s*\.\s*(`(?:[^`]|``)+`|[\w$]+))?\s*/i, '');
  const clauses = topLevelParts(body);
  return clauses.length > 0 && clauses.every((c) => ADDITIVE_CLAUSE.test(c));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The statement for a database named `to` instead of `from`: names qualified with `from`
 * (`` `chat`.`rooms` `` or `chat.rooms`) are requalified. Text inside string literals is left as it is.
 */
export function requalify(statement: string, from: string, to: string): string {
  if (from === to) return statement;
  const qualified = new RegExp(`(\`${escapeRe(from)}\`|\\b${escapeRe(from)}\\b)(\\s*\\.)`, 'g');
  let out = '';
  let quote: string | null = null;
  let chunk = '';
  for (let i = 0; i < statement.length; i++) {
    const c = statement[i];
    if (quote) {
      chunk += c;
      if (c === '\\' && i + 1 < statement.length) chunk += statement[++i];
      else if (c === quote) {
        out += chunk;
        chunk = '';
        quote = null;
      }
    } else if (c === "'" || c === '"') {
      out += chunk.replace(qualified, `\`${to}\`$2`);
      chunk = c;
      quote = c;
    } else chunk += c;
  }
  return out + (quote ? chunk : chunk.replace(qualified, `\`${to}\`$2`));
}

/** SHOW CREATE TABLE without what differs between two identical tables (the next AUTO_INCREMENT value). */
export function normaliseDefinition(createTable: string): string {
  return createTable.replace(/\s+AUTO_INCREMENT=\d+/i, '').trim();
}

/** The first line where two definitions differ, as `a: ... | b: ...` (for logs and verify). */
export function definitionDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const la = a.split('\n').map((l) => l.trim());
  const lb = b.split('\n').map((l) => l.trim());
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `a: ${la[i] ?? '(nothing)'} | b: ${lb[i] ?? '(nothing)'}`;
  }
  return undefined;
}

const NAME = String.raw`(?:\`(?:[^\`]|\`\`)+\`|[\w$]+)`;
const QUALIFIED = String.raw`(${NAME}(?:\s*\.\s*${NAME})?)`;
const TARGETS: [DdlKind, RegExp][] = [
  ['alter-table', new RegExp(String.raw`^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?${QUALIFIED}`, 'i')],
  ['create-table', new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`, 'i')],
  ['create-index', new RegExp(String.raw`\bON\s+${QUALIFIED}`, 'i')],
  ['drop-index', new RegExp(String.raw`\bON\s+${QUALIFIED}`, 'i')],
  ['rename-table', new RegExp(String.raw`^RENAME\s+TABLES?\s+${QUALIFIED}`, 'i')],
  ['truncate', new RegExp(String.raw`^TRUNCATE\s+(?:TABLE\s+)?${QUALIFIED}`, 'i')],
  ['drop-table', new RegExp(String.raw`^DROP\s+TABLES?\s+(?:IF\s+EXISTS\s+)?${QUALIFIED}`, 'i')],
];

/** `chat`.`rooms` / chat.rooms / rooms → rooms. */
function unqualified(name: string): string {
  const parts = name.split(/\s*\.\s*(?=[`\w$])/);
  const last = parts[parts.length - 1];
  return last.startsWith('`') ? last.slice(1, -1).replace(/``/g, '`') : last;
}

/**
 * The table a statement changes, read from its text (the first one of RENAME / DROP TABLE lists).
 * Debezium names it in the record for most statements, not for CREATE / DROP INDEX.
 */
export function ddlTable(statement: string): string | undefined {
  const s = stripLeadingComments(statement);
  const kind = ddlKind(s);
  const m = TARGETS.find(([k]) => k === kind)?.[1].exec(s);
  return m ? unqualified(m[1]) : undefined;
}

const RENAMES = [
  new RegExp(String.raw`^RENAME\s+TABLES?\s+${QUALIFIED}\s+TO\s+${QUALIFIED}`, 'i'),
  new RegExp(String.raw`^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?${QUALIFIED}\s+RENAME\s+(?:TO\s+|AS\s+)?(?!COLUMN\b|INDEX\b|KEY\b)${QUALIFIED}\s*;?\s*$`, 'i'),
];

/**
 * A statement that renames a table (RENAME TABLE x TO y, ALTER TABLE x RENAME TO y): the old and
 * the new name (the first pair of a RENAME list), or undefined for any other statement.
 */
export function tableRename(statement: string): { from: string; to: string } | undefined {
  const s = stripLeadingComments(statement);
  for (const re of RENAMES) {
    const m = re.exec(s);
    if (m) return { from: unqualified(m[1]), to: unqualified(m[2]) };
  }
  return undefined;
}
