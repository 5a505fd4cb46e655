import { sinkDetail } from './sink-description';
import type { Topology, TopologyNode } from './topology';

export interface NodeDescription {
  type: 'source' | 'processor' | 'branch' | 'sink';
  name: string;
  /** Topics for a source, the stage's kind and detail for a processor, the sink's description for a sink. */
  detail: string;
  predecessors: string[];
  successors: string[];
}

/** Nodes connected to each other (Kafka Streams' sub-topology): one per direction in bidirectional. */
export interface SubtopologyDescription {
  id: number;
  nodes: NodeDescription[];
}

export interface TopologyDescription {
  name: string;
  subtopologies: SubtopologyDescription[];
  /** The text layout (renderDescription). */
  toString(): string;
}

function detailOf(node: TopologyNode): string {
  switch (node.type) {
    case 'source':
      return `topics: [${node.topics.map(String).join(', ')}]`;
    case 'processor': {
      const extra = node.stage.describe?.();
      return `${node.stage.kind}${extra ? `: ${extra}` : ''}`;
    }
    case 'branch':
      return `${node.predicates.length} branch(es), first match wins`;
    case 'sink':
      return sinkDetail(node.sink);
  }
}

/** The graph as data, grouped into connected sub-topologies in the order their sources were added. */
export function describeTopology(topology: Topology): TopologyDescription {
  const group = new Map<string, number>();
  const subtopologies: SubtopologyDescription[] = [];
  for (const start of topology.nodes) {
    if (group.has(start.name)) continue;
    const id = subtopologies.length;
    const members: string[] = [];
    const queue = [start.name];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (group.has(name)) continue;
      group.set(name, id);
      members.push(name);
      const node = topology.node(name);
      queue.push(...node.children, ...node.parents);
    }
    const ordered = topology.nodes.filter((n) => members.includes(n.name));
    subtopologies.push({
      id,
      nodes: ordered.map((n) => ({ type: n.type, name: n.name, detail: detailOf(n), predecessors: [...n.parents], successors: [...n.children] })),
    });
  }
  return {
    name: topology.name,
    subtopologies,
    toString() {
      return renderDescription(this);
    },
  };
}

const LABEL = { source: 'Source', processor: 'Processor', branch: 'Branch', sink: 'Sink' } as const;

/** The text `make describe` prints, in the layout of Kafka Streams' TopologyDescription. */
export function renderDescription(description: Pick<TopologyDescription, 'name' | 'subtopologies'>): string {
  const lines = [`Topology: ${description.name}`];
  for (const sub of description.subtopologies) {
    lines.push(`  Sub-topology: ${sub.id}`);
    for (const node of sub.nodes) {
      lines.push(`    ${LABEL[node.type]}: ${node.name} (${node.detail})`);
      if (node.successors.length > 0) lines.push(`      --> ${node.successors.join(', ')}`);
      if (node.predecessors.length > 0) lines.push(`      <-- ${node.predecessors.join(', ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The description as plain data (`describe --format json`): what `describeTopology` returns, without toString. */
export function describeAsJson(description: Pick<TopologyDescription, 'name' | 'subtopologies'>): string {
  return `${JSON.stringify({ name: description.name, subtopologies: description.subtopologies }, null, 2)}\n`;
}

/** Mermaid shapes: a source as a parallelogram, a branch as a hexagon, a sink as a cylinder. */
const SHAPE = { source: ['[/', '/]'], processor: ['[', ']'], branch: ['{{', '}}'], sink: ['[(', ')]'] } as const;

/** Text inside a quoted Mermaid label: its own quote and angle brackets as entities. */
const mermaidText = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

/**
 * A Mermaid flowchart (`describe --format mermaid`): one subgraph per sub-topology, a node per
 * node with its name and detail, an arrow per link. Node ids are generated (names may hold dots).
 */
export function renderMermaid(description: Pick<TopologyDescription, 'name' | 'subtopologies'>): string {
  const ids = new Map<string, string>();
  for (const node of description.subtopologies.flatMap((s) => s.nodes)) ids.set(node.name, `n${ids.size}`);
  const lines = ['flowchart LR', `  %% Topology: ${description.name}`];
  for (const sub of description.subtopologies) {
    lines.push(`  subgraph s${sub.id}["Sub-topology ${sub.id}"]`);
    for (const node of sub.nodes) {
      const [open, close] = SHAPE[node.type];
      lines.push(`    ${ids.get(node.name)}${open}"${mermaidText(node.name)}<br/>${mermaidText(node.detail)}"${close}`);
    }
    lines.push('  end');
  }
  for (const node of description.subtopologies.flatMap((s) => s.nodes)) {
    for (const next of node.successors) lines.push(`  ${ids.get(node.name)} --> ${ids.get(next)}`);
  }
  return lines.join('\n') + '\n';
}
