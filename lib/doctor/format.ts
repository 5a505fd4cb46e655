// The CLI's text: one line per finding (level, what was checked, the finding, the fix for
// warnings and refusals), then a count and the exit code it leads to.
import { countByLevel, exitCode, type Finding } from './finding';

export function formatFinding(f: Finding, subjectWidth = 0): string {
  return `${f.level.padEnd(7)}  ${f.subject.padEnd(subjectWidth)}  ${f.check}: ${f.message}${f.fix ? ` | fix: ${f.fix}` : ''}`;
}

export function formatFindings(findings: readonly Finding[]): string {
  const width = Math.max(0, ...findings.map((f) => f.subject.length));
  const counts = countByLevel(findings);
  const code = exitCode(findings);
  const summary = `${counts.ok} ok, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ${counts.refused} refused: ${code === 0 ? 'ready to sync' : 'fix what is refused before make run'} (exit ${code})`;
  return [...findings.map((f) => formatFinding(f, width)), summary].join('\n');
}
