// The DSL's built topology as the runtime's Pipeline, run by the executor the test driver uses.
import type { Executor } from '../executor';
import type { ChangeEvent } from '../model';
import type { Pipeline, PipelineOutcome, SourceSpec } from './ports';

export class DslPipeline implements Pipeline {
  readonly sources: readonly SourceSpec[];

  constructor(private readonly executor: Executor) {
    const t = executor.topology;
    this.sources = t.sources.map((s) => {
      // Only a single first stage: a second child (a fan-out) would see the rowless events too.
      const first = s.children.length === 1 ? t.node(s.children[0]) : undefined;
      const dropsServerIds = first?.type === 'processor' ? first.stage.dropsServerIds : undefined;
      return { name: s.name, topics: s.topics, ...(dropsServerIds?.size ? { dropsServerIds } : {}) };
    });
  }

  async runBatch(source: string, events: ChangeEvent[], onQueued?: () => void): Promise<PipelineOutcome> {
    const out = await this.executor.runBatch(source, events, { onQueued });
    return {
      deadLetters: out.deadLetters,
      audits: out.audits,
      nodes: out.counters,
      tables: out.tables,
      sinkMs: out.sinkMs,
      counters: {
        recordsOut: out.totals.applied,
        skipped: out.totals.skipped,
        echoesSuppressed: out.totals.echoesSuppressed,
        conflictsResolved: out.totals.conflictsResolved,
      },
    };
  }

  /** Flushes and closes every sink once (one sink may end several streams). */
  close(): Promise<void> {
    return this.executor.close();
  }
}
