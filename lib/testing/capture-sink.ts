import type { ChangeEvent, Sink } from '../model';

/** A sink that keeps what it is given: for graphs ending in `providedSink(name)` (see `sinksByName`). */
export interface CaptureSink extends Sink {
  readonly events: ChangeEvent[];
}

export function captureSink(name: string): CaptureSink {
  const events: ChangeEvent[] = [];
  return {
    name,
    events,
    describe: () => `capture ${name} (test)`,
    write: async (batch) => {
      events.push(...batch);
      return { applied: batch.length, skipped: 0, deadLetters: [] };
    },
    flush: async () => undefined,
    close: async () => undefined,
  };
}
