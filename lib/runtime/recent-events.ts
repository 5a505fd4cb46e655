// The last conflicts and dead letters, for the status page: what lost and to what (the audit
// record's own shape, lib/runtime/audit-message.ts) and what was refused and why. Bounded: an
// operator looks at the latest; the audit and dead-letter topics keep everything.
import { redactSecrets } from '../config';
import { reasonKind, type BatchReport, type ReasonKind, type RuntimeMonitor } from '../observe';
import { auditValue, jsonSafe } from './audit-message';

type AuditValue = ReturnType<typeof auditValue>;
type Side = Omit<AuditValue['winner'], 'row'>;

/** The audit record without the row images (a BLOB row would weigh on every page refresh). */
export interface RecentConflict extends Omit<AuditValue, 'winner' | 'loser'> {
  direction: string;
  winner: Side;
  loser: Side;
}

const withoutRow = ({ row: _, ...side }: AuditValue['winner']): Side => side;

export interface RecentDeadLetter {
  at: string;
  direction: string | null;
  stage: string;
  reasonKind: ReasonKind;
  reason: string;
  table?: string;
  topic?: string;
  partition?: number;
  offset?: string;
}

export class RecentEvents implements RuntimeMonitor {
  private conflictList: RecentConflict[] = [];
  private letterList: RecentDeadLetter[] = [];

  constructor(private readonly keep = 50) {}

  batch(r: BatchReport): void {
    for (const a of r.audits) {
      const { winner, loser, ...rest } = auditValue(a, r.finishedAtMs);
      this.conflictList.push({ direction: r.direction ?? '(unrouted)', ...rest, winner: withoutRow(winner), loser: withoutRow(loser) });
    }
    for (const l of r.deadLetters) {
      const at = l.kafka ?? l.event?.kafka;
      this.letterList.push({
        at: new Date(r.finishedAtMs).toISOString(),
        direction: r.direction,
        stage: l.stage,
        reasonKind: reasonKind(l.reason),
        reason: redactSecrets(l.reason),
        ...(l.event ? { table: l.event.source.table } : {}),
        ...(at ? { topic: at.topic, partition: at.partition, offset: at.offset } : {}),
      });
    }
    this.conflictList = this.conflictList.slice(-this.keep);
    this.letterList = this.letterList.slice(-this.keep);
  }

  /** Newest first, as JSON-safe data (column values as their text). */
  conflicts(): unknown[] {
    return JSON.parse(JSON.stringify([...this.conflictList].reverse(), jsonSafe)) as unknown[];
  }

  deadLetters(): RecentDeadLetter[] {
    return [...this.letterList].reverse();
  }
}
