// Replaying dead letters: each original record is decoded again and run once through the
// topology's stages and sinks, as the runtime would have run it. The sinks apply it under the same
// last-writer-wins guard, so a record older than what the target holds changes nothing. Nothing is
// committed or dead-lettered anew: the dead letter stays in its topic, whatever becomes of it.
import { kindOf } from '../errors';
import type { ChangeEvent } from '../model';
import type { StoredDeadLetter } from '../runtime/dead-letter-message';
import type { Pipeline, PipelineOutcome, RecordDecoder } from '../runtime/ports';
import { TopicRouter } from '../runtime/topic-router';

export type ReplayOutcome =
  /** Written to the target. */
  | { result: 'applied' }
  /** The target's last-writer-wins guard kept what it holds (newer or the same). */
  | { result: 'stale' }
  /** A stage let it through to no sink (an echo, an unrouted table...): `by` names the nodes. */
  | { result: 'dropped'; by: string[] }
  /** A Kafka tombstone (no value): there is nothing to apply. */
  | { result: 'nothing' }
  /** Refused again: where and why. */
  | { result: 'dead'; stage: string; reason: string };

export interface ReplayResult {
  letter: StoredDeadLetter;
  outcome: ReplayOutcome;
}

/** Whether a replay went well: applied, stale (LWW kept the newer row), dropped or nothing to do. */
export const replayed = (o: ReplayOutcome) => o.result !== 'dead';

/** The nodes a one-record batch reached but did not leave (sinks, which count `applied`, aside). */
function droppedBy(nodes: PipelineOutcome['nodes']): string[] {
  return Object.entries(nodes ?? {})
    .filter(([, c]) => (c.in ?? 0) > 0 && (c.out ?? 0) === 0 && (c.deadLettered ?? 0) === 0 && !('applied' in c))
    .map(([name]) => name);
}

function outcomeOf(out: PipelineOutcome): ReplayOutcome {
  const [letter] = out.deadLetters;
  if (letter) return { result: 'dead', stage: letter.stage, reason: letter.reason };
  if ((out.counters.recordsOut ?? 0) > 0) return { result: 'applied' };
  if ((out.counters.skipped ?? 0) > 0) return { result: 'stale' };
  return { result: 'dropped', by: droppedBy(out.nodes) };
}

/**
 * Replays each letter in turn (`onResult` hears of each as it finishes). A record that cannot be
 * decoded, or that no source of the topology reads, is `dead` again; an error that is not about
 * the record (a database or the registry unreachable, a fatal one) rejects, leaving the rest.
 */
export async function replayDeadLetters(
  letters: readonly StoredDeadLetter[],
  o: { decoder: RecordDecoder; pipeline: Pipeline; onResult?: (r: ReplayResult) => void },
): Promise<ReplayResult[]> {
  const router = new TopicRouter(o.pipeline.sources);
  const results: ReplayResult[] = [];
  for (const letter of letters) {
    const outcome = await replayOne(letter, router, o);
    const r = { letter, outcome };
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}

async function replayOne(letter: StoredDeadLetter, router: TopicRouter, o: { decoder: RecordDecoder; pipeline: Pipeline }): Promise<ReplayOutcome> {
  const at = letter.origin;
  if (!at) return { result: 'dead', stage: 'replay', reason: 'the dead letter does not say which topic its record was read from (no tandem.dlq.topic header)' };
  const source = router.sourceOf(at.topic);
  if (source === null) return { result: 'dead', stage: 'route', reason: `no source node of the topology reads topic ${at.topic}` };
  let event: ChangeEvent | null;
  try {
    event = await o.decoder.decode({ ...at, key: letter.key, value: letter.value, headers: letter.headers });
  } catch (err) {
    if (kindOf(err) !== 'poison') throw err;
    return { result: 'dead', stage: 'decode', reason: err instanceof Error ? err.message : String(err) };
  }
  if (event === null) return { result: 'nothing' };
  return outcomeOf(await o.pipeline.runBatch(source, [event.kafka ? event : { ...event, kafka: at }]));
}
