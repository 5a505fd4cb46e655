import type { ChangeEvent, ConflictRecord } from '../model';

/** Counters every node keeps; stages add their own (`echoesSuppressed`, `conflictsResolved`...). */
export interface NodeCounters {
  in: number;
  out: number;
  deadLettered: number;
  [counter: string]: number;
}

/** What a stage can do besides returning events. */
export interface StageContext {
  /** The stable name of the node running the stage (goes into dead letters, logs, metrics). */
  readonly node: string;
  /** Sends one event to the dead-letter output with a reason; it goes no further. */
  deadLetter(event: ChangeEvent, reason: string): void;
  count(counter: string, n?: number): void;
  /** Records a collision this stage resolved (who won, what lost); `stage` is filled in with the node's name. */
  audit(record: Omit<ConflictRecord, 'stage'>): void;
}

/**
 * One step of a topology, run on a whole batch at a time. `process` returns the events that go
 * on; it must not change the events it is given (a fan-out hands the same objects to every
 * branch), so a stage that changes an event returns a copy. Throwing a `poison` TandemError
 * dead-letters the event that caused it (the executor retries the batch one event at a time to
 * find it); any other error stops the batch.
 */
export interface Stage {
  /** What the stage does, e.g. `origin-filter`; shown by describe(). */
  readonly kind: string;
  /** Preferred node name; the DSL's `{ name }` wins, a generated one is used if neither is given. */
  readonly name?: string;
  /** One line of detail for describe(). */
  describe?(): string;
  /**
   * Server ids whose events this stage drops whatever else they hold. When the stage comes first
   * after a source, the runtime decodes those records without their rows (before/after null).
   */
  readonly dropsServerIds?: ReadonlySet<number>;
  process(events: readonly ChangeEvent[], ctx: StageContext): ChangeEvent[] | Promise<ChangeEvent[]>;
}

export type Predicate = (event: ChangeEvent) => boolean;

/** A stage from a per-event predicate: Kafka Streams' `filter`. */
export function filterStage(predicate: Predicate): Stage {
  return { kind: 'filter', process: (events) => events.filter(predicate) };
}

/** A stage from a per-event function returning a new event: Kafka Streams' `map`. */
export function mapStage(fn: (event: ChangeEvent) => ChangeEvent): Stage {
  return { kind: 'map', process: (events) => events.map(fn) };
}

/** A stage that looks at each event and passes it on unchanged: Kafka Streams' `peek`. */
export function peekStage(fn: (event: ChangeEvent) => void): Stage {
  return {
    kind: 'peek',
    process: (events) => {
      events.forEach(fn);
      return [...events];
    },
  };
}

/** The stage behind each output of a branch: passes events on as they are. */
export const passThrough: Stage = { kind: 'branch-child', process: (events) => [...events] };
