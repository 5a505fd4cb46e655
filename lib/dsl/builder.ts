import type { ChangeEvent } from '../model';
import type { SinkDescription } from './sink-description';
import { filterStage, mapStage, passThrough, peekStage, type Predicate, type Stage } from './stage';
import { Topology, type Operation, type TopicPattern, type TopologyNode } from './topology';

/** Kafka Streams' `Named`: the stable name of the node an operator adds. */
export interface Named {
  name?: string;
}

export interface BranchNamed extends Named {
  /** Names of the branch outputs, in predicate order. */
  branches?: readonly string[];
}

type NodeSpec = SourceSpec | ProcessorSpec | BranchSpec | SinkSpec;
type SourceSpec = { type: 'source'; topics: readonly TopicPattern[] };
type ProcessorSpec = { type: 'processor'; operation: Operation; stage: Stage };
type BranchSpec = { type: 'branch'; predicates: readonly Predicate[] };
type SinkSpec = { type: 'sink'; sink: SinkDescription };

const PREFIX: Record<string, string> = {
  source: 'SOURCE',
  filter: 'FILTER',
  map: 'MAP',
  peek: 'PEEK',
  process: 'PROCESSOR',
  resolve: 'RESOLVE',
  route: 'ROUTE',
  'branch-child': 'BRANCHCHILD',
  branch: 'BRANCH',
  sink: 'SINK',
};

/** Collects nodes as the DSL's operators are called; builds nothing that runs. */
export class TopologyBuilder {
  private readonly nodes: TopologyNode[] = [];
  private readonly names = new Set<string>();
  private index = 0;

  constructor(readonly name: string) {}

  stream(topics: TopicPattern | readonly TopicPattern[], named: Named = {}): Stream {
    const list = Array.isArray(topics) ? [...(topics as readonly TopicPattern[])] : [topics as TopicPattern];
    if (list.length === 0) throw new RangeError(`stream() needs at least one topic or pattern${named.name ? ` (source ${named.name})` : ''}`);
    for (const topic of list) {
      const owner = this.nodes.find((n) => n.type === 'source' && n.topics.some((t) => String(t) === String(topic)));
      if (owner) throw new RangeError(`topic ${String(topic)} is already read by source ${owner.name}`);
    }
    return new Stream(this, this.add({ type: 'source', topics: list }, named.name, undefined));
  }

  /** Adds a node below `parent` and returns its name. */
  add(spec: NodeSpec, explicit: string | undefined, preferred: string | undefined, parent?: string): string {
    this.index++;
    const operation = spec.type === 'processor' ? spec.operation : spec.type;
    const generated = `KSTREAM-${PREFIX[operation]}-${String(this.index).padStart(10, '0')}`;
    if (explicit !== undefined && this.names.has(explicit)) throw new RangeError(`topology ${this.name}: node name "${explicit}" is used twice`);
    if (explicit !== undefined && explicit.trim() === '') throw new RangeError(`topology ${this.name}: a node name must not be empty`);
    const name = explicit ?? (preferred !== undefined && !this.names.has(preferred) ? preferred : generated);
    this.names.add(name);
    const node = { ...spec, name, parents: parent ? [parent] : [], children: [] } as TopologyNode;
    this.nodes.push(node);
    if (parent) this.nodes.find((n) => n.name === parent)?.children.push(name);
    return name;
  }

  build(): Topology {
    if (this.nodes.length === 0) throw new RangeError(`topology ${this.name} has no streams`);
    // A sink's name is the one sink it stands for: the executor makes one live sink per name.
    const byName = new Map<string, string>();
    for (const n of this.nodes) {
      if (n.type !== 'sink') continue;
      const seen = byName.get(n.sink.name);
      if (seen !== undefined && seen !== JSON.stringify(n.sink)) throw new RangeError(`topology ${this.name}: two different sinks are named "${n.sink.name}"`);
      byName.set(n.sink.name, JSON.stringify(n.sink));
    }
    const sinkless = this.nodes.filter((n) => n.type !== 'sink' && n.children.length === 0);
    if (sinkless.length > 0) {
      throw new RangeError(`topology ${this.name}: ${sinkless.map((n) => n.name).join(', ')} lead(s) nowhere; end every stream with .to(sink)`);
    }
    return new Topology(this.name, this.nodes.map((n) => ({ ...n, parents: [...n.parents], children: [...n.children] }) as TopologyNode));
  }
}

/** A stream of ChangeEvents at one node of the graph; each operator returns the stream below it. */
export class Stream {
  constructor(
    private readonly builder: TopologyBuilder,
    /** The name of the node this stream comes out of. */
    readonly node: string,
  ) {}

  private then(operation: Operation, stage: Stage, named: Named): Stream {
    return new Stream(this.builder, this.builder.add({ type: 'processor', operation, stage }, named.name, stage.name, this.node));
  }

  /** Keeps the events the predicate accepts (or runs a filtering stage such as `originFilter`). */
  filter(predicate: Predicate | Stage, named: Named = {}): Stream {
    return this.then('filter', typeof predicate === 'function' ? filterStage(predicate) : predicate, named);
  }

  map(fn: (event: ChangeEvent) => ChangeEvent, named: Named = {}): Stream {
    return this.then('map', mapStage(fn), named);
  }

  peek(fn: (event: ChangeEvent) => void, named: Named = {}): Stream {
    return this.then('peek', peekStage(fn), named);
  }

  /** Runs any batch-level stage. */
  process(stage: Stage, named: Named = {}): Stream {
    return this.then('process', stage, named);
  }

  /** Runs a conflict-resolving stage (e.g. `lastWriterWins`). */
  resolve(stage: Stage, named: Named = {}): Stream {
    return this.then('resolve', stage, named);
  }

  /** Runs a routing stage (e.g. `routeByTable`), which sets each event's target. */
  route(stage: Stage, named: Named = {}): Stream {
    return this.then('route', stage, named);
  }

  /**
   * Fans out by predicate: each event goes to the first branch whose predicate accepts it; events
   * no predicate accepts are dropped and counted (`unmatched`). Pass `() => true` last for a default.
   * Calling operators on one stream twice also fans out: every child gets every event.
   */
  branch(predicates: readonly Predicate[], named: BranchNamed = {}): Stream[] {
    if (predicates.length === 0) throw new RangeError('branch() needs at least one predicate');
    if (named.branches && named.branches.length !== predicates.length) {
      throw new RangeError(`branch() got ${predicates.length} predicates but ${named.branches.length} branch names`);
    }
    const split = this.builder.add({ type: 'branch', predicates }, named.name, undefined, this.node);
    return predicates.map((_, i) => new Stream(this.builder, this.builder.add({ type: 'processor', operation: 'branch-child', stage: passThrough }, named.branches?.[i], undefined, split)));
  }

  /** Ends the stream in a sink (`ctx.mysql(id)`); the executor awaits its write for every batch. */
  to(sink: SinkDescription, named: Named = {}): void {
    this.builder.add({ type: 'sink', sink }, named.name, sink.name, this.node);
  }
}
