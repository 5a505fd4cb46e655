// The topology as a picture for the status page, drawn on the server as SVG from describe(): one
// row per direction (sub-topology), from the source database through its Debezium connector and
// the stages to the target database. Every box that depends on a part readiness checks carries
// `data-part` (`database:a`, `connector:a`), so the page turns it red while that check fails.
import type { NodeDescription, TopologyDescription } from '../dsl/describe';

export interface TopologyPicture {
  description: Pick<TopologyDescription, 'name' | 'subtopologies'>;
  /** Per source node, the database (topic prefix) whose changes it reads. */
  sourceDatabases: Readonly<Record<string, string>>;
  /** Per sink node, the database it writes. */
  sinkDatabases: Readonly<Record<string, string>>;
}

const BOX_W = 150;
const BOX_H = 46;
const GAP_X = 34;
const GAP_Y = 14;
const ROW_GAP = 40;
const TITLE_H = 22;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface Box {
  id: string;
  title: string;
  subtitle: string;
  kind: 'database' | 'connector' | NodeDescription['type'];
  part?: string;
  column: number;
  row: number;
}

/** `a-to-b.origin-filter` → `origin-filter`: the direction is the row's title already. */
function shortName(node: string, prefix: string): string {
  return node.startsWith(`${prefix}.`) ? node.slice(prefix.length + 1) : node;
}

function subtitleOf(node: NodeDescription): string {
  if (node.type === 'processor') return node.detail.split(':')[0];
  if (node.type === 'source') return 'Kafka topics';
  if (node.type === 'sink') return 'sink';
  return 'branch';
}

/** Longest path from a source: the column of each node. */
function depths(nodes: readonly NodeDescription[]): Map<string, number> {
  const depth = new Map<string, number>();
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const n = byName.get(name);
    const d = !n || seen.has(name) ? 0 : Math.max(-1, ...n.predecessors.map((p) => visit(p, new Set([...seen, name])))) + 1;
    depth.set(name, d);
    return d;
  };
  for (const n of nodes) visit(n.name, new Set());
  return depth;
}

/** The boxes and arrows of one direction, columns counted from the source database. */
function layout(nodes: readonly NodeDescription[], picture: TopologyPicture): { boxes: Box[]; edges: [string, string][]; title: string } {
  const source = nodes.find((n) => n.type === 'source');
  const prefix = source ? source.name.split('.')[0] : '';
  const from = source ? picture.sourceDatabases[source.name] : undefined;
  const boxes: Box[] = [];
  const edges: [string, string][] = [];
  // Database and connector first: the changes start there.
  const offset = from !== undefined ? 2 : 0;
  if (from !== undefined && source) {
    boxes.push({ id: `db:${from}:in`, title: `database ${from}`, subtitle: 'MariaDB binlog', kind: 'database', part: `database:${from}`, column: 0, row: 0 });
    boxes.push({ id: `connector:${from}`, title: 'Debezium', subtitle: `source connector ${from}`, kind: 'connector', part: `connector:${from}`, column: 1, row: 0 });
    edges.push([`db:${from}:in`, `connector:${from}`], [`connector:${from}`, source.name]);
  }
  const depth = depths(nodes);
  const perColumn = new Map<number, number>();
  let last = 0;
  for (const n of nodes) {
    const column = (depth.get(n.name) ?? 0) + offset;
    const row = perColumn.get(column) ?? 0;
    perColumn.set(column, row + 1);
    last = Math.max(last, column);
    // A sink is down with its database; a source with the Kafka consumer that reads it.
    const target = n.type === 'sink' ? picture.sinkDatabases[n.name] : undefined;
    const part = target !== undefined ? `database:${target}` : n.type === 'source' ? 'consumer' : undefined;
    boxes.push({ id: n.name, title: shortName(n.name, prefix), subtitle: subtitleOf(n), kind: n.type, ...(part !== undefined ? { part } : {}), column, row });
    for (const s of n.successors) edges.push([n.name, s]);
  }
  // Each target database once, after the last column.
  const targets = [...new Set(nodes.filter((n) => n.type === 'sink').map((n) => picture.sinkDatabases[n.name]).filter((d): d is string => d !== undefined))];
  targets.forEach((db, row) => {
    boxes.push({ id: `db:${db}:out`, title: `database ${db}`, subtitle: 'written with last-writer-wins', kind: 'database', part: `database:${db}`, column: last + 1, row });
    for (const n of nodes) if (n.type === 'sink' && picture.sinkDatabases[n.name] === db) edges.push([n.name, `db:${db}:out`]);
  });
  const title = from !== undefined && targets.length > 0 ? `${prefix}: database ${from} → database ${targets.join(', ')}` : prefix || 'sub-topology';
  return { boxes, edges, title };
}

function boxSvg(b: Box, x: number, y: number): string {
  const part = b.part ? ` data-part="${escapeXml(b.part)}"` : '';
  const shape =
    b.kind === 'database'
      ? `<path class="shape" d="M${x},${y + 8} a${BOX_W / 2},8 0 0,1 ${BOX_W},0 v${BOX_H - 16} a${BOX_W / 2},8 0 0,1 ${-BOX_W},0 z"/><path class="rim" d="M${x},${y + 8} a${BOX_W / 2},8 0 0,0 ${BOX_W},0"/>`
      : `<rect class="shape" x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="${b.kind === 'connector' || b.kind === 'source' ? 4 : 10}"/>`;
  return (
    `<g class="box ${b.kind}"${part} data-node="${escapeXml(b.id)}">${shape}` +
    `<text x="${x + BOX_W / 2}" y="${y + 21}" class="title">${escapeXml(b.title)}</text>` +
    `<text x="${x + BOX_W / 2}" y="${y + 36}" class="subtitle">${escapeXml(b.subtitle)}</text></g>`
  );
}

/** The SVG element (inline in the page; sized by its viewBox). */
export function topologySvg(picture: TopologyPicture): string {
  const parts: string[] = [];
  let top = 0;
  let width = 0;
  for (const sub of picture.description.subtopologies) {
    const { boxes, edges, title } = layout(sub.nodes, picture);
    const rows = Math.max(1, ...boxes.map((b) => b.row + 1));
    const at = new Map(boxes.map((b) => [b.id, { x: b.column * (BOX_W + GAP_X), y: top + TITLE_H + b.row * (BOX_H + GAP_Y) }]));
    parts.push(`<g class="direction" data-direction="${escapeXml(sub.nodes.find((n) => n.type === 'source')?.name ?? String(sub.id))}">`);
    parts.push(`<text x="0" y="${top + 14}" class="direction-title">${escapeXml(title)}</text>`);
    for (const [a, b] of edges) {
      const p = at.get(a);
      const q = at.get(b);
      if (!p || !q) continue;
      parts.push(`<line class="edge" x1="${p.x + BOX_W}" y1="${p.y + BOX_H / 2}" x2="${q.x - 3}" y2="${q.y + BOX_H / 2}" marker-end="url(#arrow)"/>`);
    }
    for (const b of boxes) {
      const p = at.get(b.id) as { x: number; y: number };
      parts.push(boxSvg(b, p.x, p.y));
      width = Math.max(width, p.x + BOX_W);
    }
    parts.push('</g>');
    top += TITLE_H + rows * (BOX_H + GAP_Y) - GAP_Y + ROW_GAP;
  }
  const height = Math.max(1, top - ROW_GAP + 2);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="-2 0 ${width + 4} ${height}" role="img" aria-label="${escapeXml(`topology ${picture.description.name}`)}">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>' +
    parts.join('') +
    '</svg>'
  );
}
