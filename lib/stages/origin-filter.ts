import type { Stage } from '../dsl';

export interface OriginFilterOptions {
  /** Server ids that mark Tandem's own writes (`[config.serverId]`, default 4100). */
  replicatorServerIds: readonly number[];
}

/**
 * Drops the echoes of Tandem's own writes: events whose binlog server id is a replicator's
 * (docs/loop-prevention.md §1). Per write, not per row, so an application's update or delete of
 * a replicated row passes. Counts `echoesSuppressed`.
 */
export function originFilter(options: OriginFilterOptions): Stage {
  const ids = new Set(options.replicatorServerIds);
  if (ids.size === 0) throw new RangeError('originFilter needs at least one replicator server id');
  return {
    kind: 'origin-filter',
    describe: () => `drops events written by server id ${[...ids].join(', ')}`,
    dropsServerIds: ids,
    process(events, ctx) {
      const kept = events.filter((e) => !ids.has(e.source.serverId));
      if (kept.length < events.length) ctx.count('echoesSuppressed', events.length - kept.length);
      return kept;
    },
  };
}
