// The top self-time functions of a V8 .cpuprofile (written by `node --cpu-prof`), for RESULTS.md.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface HotSpot {
  what: string;
  selfPct: number;
}

export function topSelfTime(file: string, root: string, n = 12): HotSpot[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + hits);
    total += hits;
  }
  return [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([what, hits]) => ({ what, selfPct: Math.round((hits / total) * 1000) / 10 }));
}

/** The largest (longest-running) .cpuprofile in `dir` written after `sinceMs`. */
export function largestProfile(dir: string, sinceMs: number): string | undefined {
  let best: { file: string; size: number } | undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue;
    const st = statSync(join(dir, f));
    if (st.mtimeMs >= sinceMs && (!best || st.size > best.size)) best = { file: join(dir, f), size: st.size };
  }
  return best?.file;
}
