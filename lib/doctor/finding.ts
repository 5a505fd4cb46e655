// What tandem doctor reports: findings as data, so the CLI prints them, the runtime logs them and
// stops on a refusal, and tests assert on them.

/** `ok`: fine or informative; `warning`: works, with a risk worth knowing; `refused`: Tandem would not sync correctly. */
export type Level = 'ok' | 'warning' | 'refused';

export interface Finding {
  level: Level;
  /** What was checked: `binlog`, `server ids`, `updated_at`, ... */
  check: string;
  /** Where: a database id (`a`), both (`a,b`), `connect`, or `table rooms`. */
  subject: string;
  message: string;
  /** What to do about it; set on every warning and refusal. */
  fix?: string;
}

export const ok = (check: string, subject: string, message: string): Finding => ({ level: 'ok', check, subject, message });
export const warning = (check: string, subject: string, message: string, fix: string): Finding => ({ level: 'warning', check, subject, message, fix });
export const refused = (check: string, subject: string, message: string, fix: string): Finding => ({ level: 'refused', check, subject, message, fix });

/** The CLI's exit code: 1 when anything is refused, 0 otherwise (warnings do not fail). */
export function exitCode(findings: readonly Finding[]): 0 | 1 {
  return findings.some((f) => f.level === 'refused') ? 1 : 0;
}

export function countByLevel(findings: readonly Finding[]): Record<Level, number> {
  const counts: Record<Level, number> = { ok: 0, warning: 0, refused: 0 };
  for (const f of findings) counts[f.level]++;
  return counts;
}
