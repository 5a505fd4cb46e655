import { describeTopology, type TopologyDescription } from './describe';
import type { SinkDescription } from './sink-description';
import type { Predicate, Stage } from './stage';

export type TopicPattern = string | RegExp;

/** How a processor node was added: the DSL operator's name. */
export type Operation = 'filter' | 'map' | 'peek' | 'process' | 'resolve' | 'route' | 'branch-child';

interface NodeBase {
  readonly name: string;
  readonly parents: string[];
  readonly children: string[];
}

export interface SourceNode extends NodeBase {
  readonly type: 'source';
  readonly topics: readonly TopicPattern[];
}

export interface ProcessorNode extends NodeBase {
  readonly type: 'processor';
  readonly operation: Operation;
  readonly stage: Stage;
}

/** Sends each event to the first child whose predicate accepts it (children[i] ↔ predicates[i]). */
export interface BranchNode extends NodeBase {
  readonly type: 'branch';
  readonly predicates: readonly Predicate[];
}

export interface SinkNode extends NodeBase {
  readonly type: 'sink';
  /** What to write to; the executor's caller makes the live sink from it. */
  readonly sink: SinkDescription;
}

export type TopologyNode = SourceNode | ProcessorNode | BranchNode | SinkNode;

/** A topic matches a pattern when the whole name matches (Kafka's subscription semantics). */
export function topicMatches(pattern: TopicPattern, topic: string): boolean {
  if (typeof pattern === 'string') return pattern === topic;
  const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(topic);
  return m !== null && m.index === 0 && m[0].length === topic.length;
}

/** The built graph: plain data (stages, and sinks as descriptions), read by the executor, describe() and the test driver. */
export class Topology {
  private readonly byName: ReadonlyMap<string, TopologyNode>;

  constructor(
    readonly name: string,
    readonly nodes: readonly TopologyNode[],
  ) {
    this.byName = new Map(nodes.map((n) => [n.name, n]));
  }

  node(name: string): TopologyNode {
    const node = this.byName.get(name);
    if (!node) throw new RangeError(`topology ${this.name} has no node named "${name}"`);
    return node;
  }

  get sources(): SourceNode[] {
    return this.nodes.filter((n): n is SourceNode => n.type === 'source');
  }

  get sinks(): SinkNode[] {
    return this.nodes.filter((n): n is SinkNode => n.type === 'sink');
  }

  /** The graph as data; its `toString()` is the text `make describe` prints. */
  describe(): TopologyDescription {
    return describeTopology(this);
  }

  /** The source node reading `topic`: the first whose name or pattern matches. */
  sourceFor(topic: string): SourceNode | undefined {
    return this.sources.find((s) => s.topics.some((p) => topicMatches(p, topic)));
  }
}
