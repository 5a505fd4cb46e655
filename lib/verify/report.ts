// The text `tandem verify` prints: one line per table, a total, then the first differing rows.
import type { RowDiff, VerifyReport } from './compare';

const show = (v: string | null | undefined) => (v === null ? 'NULL' : v === undefined ? '-' : JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v));

export function formatDiff(d: RowDiff): string {
  const key = Object.entries(d.key).map(([k, v]) => `${k}=${v}`).join(', ');
  if (d.kind !== 'different') {
    const present = d.kind === 'missing-in-a' ? d.b : d.a;
    const row = present ? Object.entries(present).map(([k, v]) => `${k}=${show(v)}`).join(' ') : '(row gone since)';
    return `  ${d.table} (${key}) ${d.kind}: ${row}`;
  }
  const cols = d.columns.map((c) => `${c}: a=${show(d.a?.[c])} b=${show(d.b?.[c])}`);
  return `  ${d.table} (${key}) different: ${cols.join('; ') || '(equal on re-read: changed while comparing)'}`;
}

export function formatReport(r: VerifyReport): string {
  const header = `${'table'.padEnd(20)} ${'rows a'.padStart(10)} ${'rows b'.padStart(10)} ${'chunks'.padStart(7)} ${'bad'.padStart(5)} ${'only a'.padStart(7)} ${'only b'.padStart(7)} ${'differ'.padStart(7)}`;
  const lines = [header];
  for (const t of r.tables) {
    lines.push(
      `${t.table.padEnd(20)} ${String(t.rowsA).padStart(10)} ${String(t.rowsB).padStart(10)} ${String(t.chunks).padStart(7)} ${String(t.mismatchedChunks).padStart(5)} ` +
        `${String(t.missingInB).padStart(7)} ${String(t.missingInA).padStart(7)} ${String(t.different).padStart(7)}`,
    );
    if (t.schema) lines.push(`  schema: ${t.schema}`);
  }
  lines.push(`${r.tables.length} tables, ${r.rowsA} rows on a, ${r.rowsB} rows on b, ${r.differences} differences (${(r.elapsedMs / 1000).toFixed(1)}s)`);
  if (r.diffs.length) {
    lines.push(`first ${r.diffs.length} differing rows:`);
    for (const d of r.diffs) lines.push(formatDiff(d));
  }
  return lines.join('\n');
}
