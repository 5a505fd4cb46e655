// The DSL's built topology as the runtime's Pipeline: the same executor the test driver uses.
import { runBatch, type Topology } from '../dsl';
import type { ChangeEvent, Sink } from '../model';
import type { Pipeline, PipelineOutcome, SourceSpec } from './ports';

export class DslPipeline implements Pipeline {
  readonly sources: readonly SourceSpec[];

  constructor(private readonly topology: Topology) {
    this.sources = topology.sources.map((s) => ({ name: s.name, topics: s.topics }));
  }

  async runBatch(source: string, events: ChangeEvent[]): Promise<PipelineOutcome> {
    const out = await runBatch(this.topology, source, events);
    return {
      deadLetters: out.deadLetters,
      audits: out.audits,
      nodes: out.counters,
      tables: out.tables,
      counters: {
        recordsOut: out.totals.applied,
        skipped: out.totals.skipped,
        echoesSuppressed: out.totals.echoesSuppressed,
        conflictsResolved: out.totals.conflictsResolved,
      },
    };
  }

  /** Flushes and closes every sink once (one sink may end several streams). */
  async close(): Promise<void> {
    const sinks = new Set<Sink>(this.topology.sinks.map((n) => n.sink));
    for (const sink of sinks) {
      await sink.flush();
      await sink.close();
    }
  }
}
