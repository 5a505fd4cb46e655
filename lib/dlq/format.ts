// What `tandem dlq` prints: one line per dead letter or replay, and the same as JSON.
import type { ChangeEvent, KafkaCoordinates } from '../model';
import type { StoredDeadLetter } from '../runtime/dead-letter-message';
import { formatPosition } from './position';
import type { ReplayOutcome, ReplayResult } from './replay';

const time = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');
export const originOf = (at: KafkaCoordinates | undefined) => (at ? `${at.topic}[${at.partition}]@${at.offset}` : '(origin unknown)');

/** Bytes as hex, the first 64 of them when there are more (a BLOB can be 64 MiB). */
function hex(b: Buffer): string {
  return b.length <= 64 ? `0x${b.toString('hex')}` : `0x${b.subarray(0, 64).toString('hex')}… (${b.length} bytes)`;
}

/**
 * A value made printable as JSON: bigints as decimal strings, bytes as hex, values with a
 * `toJSON` (dates, times, decimals) as theirs, everything else walked.
 */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return hex(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  const withJson = v as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return withJson.toJSON();
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** A dead letter without its record's bytes, as `list --json` and `show --json` give it. */
export function letterJson(l: StoredDeadLetter): Record<string, unknown> {
  return {
    position: formatPosition(l),
    partition: l.partition,
    offset: l.offset.toString(),
    time: time(l.timestamp),
    stage: l.stage,
    reason: l.reason,
    origin: l.origin ?? null,
    bytes: l.value?.length ?? null,
  };
}

export function listLines(letters: readonly StoredDeadLetter[]): string[] {
  const rows = letters.map((l) => [formatPosition(l), time(l.timestamp), l.stage, originOf(l.origin), l.reason]);
  const header = ['position', 'time', 'stage', 'origin', 'reason'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** The decoded record of `show`: what the runtime's stages see. */
export function eventJson(e: ChangeEvent): Record<string, unknown> {
  return { op: e.op, key: plain(e.key), before: plain(e.before), after: plain(e.after), source: plain(e.source), ...(e.ddl ? { ddl: e.ddl } : {}) };
}

export function showLines(l: StoredDeadLetter, topic: string, decoded: { event: ChangeEvent | null } | { error: string }): string[] {
  const headers = Object.entries(l.headers).map(([k, v]) => `${k}=${typeof v === 'string' ? v : v.toString('utf8')}`);
  const lines = [
    `dead letter ${formatPosition(l)} of ${topic} (partition ${l.partition}, offset ${l.offset}), written ${time(l.timestamp)}`,
    `  stage    ${l.stage}`,
    `  reason   ${l.reason}`,
    `  origin   ${originOf(l.origin)}${l.origin ? `, read at ${time(l.origin.timestamp)}` : ''}`,
    `  headers  ${headers.length > 0 ? headers.join(' ') : '(none besides tandem.dlq.*)'}`,
    `  key      ${l.key ? hex(l.key) : 'null'}`,
    `  value    ${l.value ? `${l.value.length} bytes` : 'null (a Kafka tombstone)'}`,
  ];
  if ('error' in decoded) lines.push(`  record   does not decode: ${decoded.error}`);
  else if (decoded.event === null) lines.push('  record   a Kafka tombstone: nothing to decode');
  else lines.push('  record   decoded:', ...JSON.stringify(eventJson(decoded.event), null, 2).split('\n').map((s) => `    ${s}`));
  return lines;
}

export function describeOutcome(o: ReplayOutcome): string {
  switch (o.result) {
    case 'applied':
      return 'applied';
    case 'stale':
      return 'stale: the target holds a newer or the same row; last-writer-wins kept it';
    case 'dropped':
      return `dropped by ${o.by.join(', ') || 'the stages'} (nothing to write)`;
    case 'nothing':
      return 'nothing to apply (a Kafka tombstone)';
    case 'dead':
      return `dead again at ${o.stage}: ${o.reason}`;
  }
}

export const replayLine = (r: ReplayResult) => `${formatPosition(r.letter)}  ${originOf(r.letter.origin)}  ${describeOutcome(r.outcome)}`;

export const replayJson = (r: ReplayResult) => ({ position: formatPosition(r.letter), origin: r.letter.origin ?? null, ...r.outcome });

/** `replayed 3: 1 applied, 1 stale, 1 dead again`. */
export function replaySummary(results: readonly ReplayResult[]): string {
  const count = (k: ReplayOutcome['result']) => results.filter((r) => r.outcome.result === k).length;
  const parts = [`${count('applied')} applied`, `${count('stale')} stale`, `${count('dropped')} dropped`, `${count('nothing')} with nothing to apply`, `${count('dead')} dead again`];
  return `replayed ${results.length}: ${parts.filter((p) => !p.startsWith('0 ')).join(', ') || 'nothing'}`;
}
