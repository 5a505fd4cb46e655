import type { Stage, StageContext } from '../dsl';
import type { ChangeEvent, ConflictRecord } from '../model';

export interface StageRun {
  out: ChangeEvent[];
  deadLetters: { event: ChangeEvent; reason: string }[];
  counters: Record<string, number>;
  audits: ConflictRecord[];
}

/** Runs one stage on a batch outside any topology, keeping what it reported: unit-tests a stage. */
export async function runStage(stage: Stage, events: ChangeEvent[]): Promise<StageRun> {
  const ran: StageRun = { out: [], deadLetters: [], counters: {}, audits: [] };
  const ctx: StageContext = {
    node: 'test-node',
    deadLetter: (event, reason) => ran.deadLetters.push({ event, reason }),
    count: (name, n = 1) => {
      ran.counters[name] = (ran.counters[name] ?? 0) + n;
    },
    audit: (record) => ran.audits.push({ stage: ctx.node, ...record }),
  };
  ran.out = await stage.process(events, ctx);
  return ran;
}
