import type { Stage } from '../dsl';
import { replaces, type ChangeEvent, type Version } from '../model';
import { rowId } from './keys';
import { UPDATED_AT, versionOf } from './version';

export interface LastWriterWinsOptions {
  /** The version column, `DATETIME(6)` (default `updated_at`). */
  column?: string;
}

interface Candidate {
  event: ChangeEvent;
  version: Version;
  index: number;
}

/**
 * The resolve stage: within a batch, collapses changes to one row to the winner of
 * last-writer-wins (docs/loop-prevention.md §2; a delete's time is its `deletedAt`), plus the
 * key's newest delete when an upsert beats it (so its tombstone is recorded). Counts
 * `conflictsResolved` for every collision and audits each change that is not its key's final
 * winner, beside that winner (a beaten delete that still travels included: its row image lost).
 * An optimisation and a counter: the sink's guard decides against what the target holds. Its
 * order is the sink's (lib/model/ordering.ts), so the change kept is the one the sink would end
 * with had it applied the whole batch in order: a full tie keeps the earlier change, as the guard
 * keeps the row it holds.
 */
export function lastWriterWins(options: LastWriterWinsOptions = {}): Stage {
  const column = options.column ?? UPDATED_AT;
  return {
    kind: 'last-writer-wins',
    describe: () => `per key, greatest (${column} | deletedAt), deletes win ties, then greater content hash`,
    process(events, ctx) {
      const winners = new Map<string, Candidate>();
      // The newest delete of each key, kept beside a newer upsert that beats it: the target must
      // still record its tombstone, or the two sides' tombstone tables differ (the sink's guard
      // then keeps the newer row and only remembers the delete).
      const deletes = new Map<string, Candidate>();
      const ordered: { id: string; candidate: Candidate }[] = [];
      // Schema changes are no versions of a row: they keep their place among the rows.
      const passing: { event: ChangeEvent; index: number }[] = [];
      events.forEach((event, index) => {
        if (event.op === 'ddl') {
          passing.push({ event, index });
          return;
        }
        const version = versionOf(event, column);
        if (!version) {
          const what = event.op === 'd' ? 'a delete without deletedAt (not carried by a tombstone)' : `no ${column} column`;
          ctx.deadLetter(event, `cannot order a change of ${event.source.table}: ${what}`);
          return;
        }
        if (Object.keys(event.key).length === 0) {
          ctx.deadLetter(event, `cannot order a change of ${event.source.table}: it has no primary key`);
          return;
        }
        const id = rowId(event.source.table, event.key);
        const candidate = { event, version, index };
        ordered.push({ id, candidate });
        const current = winners.get(id);
        if (current) ctx.count('conflictsResolved');
        if (!current || replaces(version, current.version)) winners.set(id, candidate);
        const newestDelete = deletes.get(id);
        if (event.op === 'd' && (!newestDelete || replaces(version, newestDelete.version))) deletes.set(id, candidate);
      });
      for (const { id, candidate } of ordered) {
        const winner = winners.get(id);
        if (winner && winner !== candidate) {
          ctx.audit({ table: candidate.event.source.table, key: candidate.event.key, winner: winner.event, loser: candidate.event });
        }
      }
      const out: { event: ChangeEvent; index: number }[] = [...winners.values(), ...passing];
      for (const [id, del] of deletes) if (winners.get(id) !== del) out.push(del);
      return out.sort((x, y) => x.index - y.index).map((c) => c.event);
    },
  };
}
