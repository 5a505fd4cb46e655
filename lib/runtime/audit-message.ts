// The record written to the audit topic for one resolved conflict: JSON an operator can read
// with any console consumer, keyed by table and primary key so one row's history stays together.
import type { ChangeEvent, ConflictRecord } from '../model';
import { UPDATED_AT } from '../stages';

export interface AuditMessage {
  key: Buffer;
  value: Buffer;
}

function side(event: ChangeEvent) {
  const deleted = event.op === 'd';
  const version = deleted ? event.deletedAt : event.after?.[UPDATED_AT];
  return {
    op: event.op,
    // As text (the values' own toJSON): the change's place in last-writer-wins order.
    version: version === undefined || version === null ? null : version,
    row: deleted ? event.before : event.after,
    source: { server_id: event.source.serverId, file: event.source.file, pos: event.source.pos },
  };
}

/** Column values serialise through their toJSON (LocalDateTime, Decimal...); int64 as decimal text. */
export function jsonSafe(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** The audit record's value as an object (serialise it with `jsonSafe`); also what the status page lists. */
export function auditValue(record: ConflictRecord, at: number) {
  return {
    stage: record.stage,
    table: record.table,
    key: record.key,
    ...(record.index ? { index: record.index } : {}),
    winner: side(record.winner),
    loser: side(record.loser),
    at: new Date(at).toISOString(),
  };
}

/** `at`: when the conflict was resolved (ms since the epoch), as ISO-8601 in the value. */
export function auditMessage(record: ConflictRecord, at: number): AuditMessage {
  const value = auditValue(record, at);
  return {
    key: Buffer.from(`${record.table}:${JSON.stringify(record.key, jsonSafe)}`),
    value: Buffer.from(JSON.stringify(value, jsonSafe)),
  };
}
