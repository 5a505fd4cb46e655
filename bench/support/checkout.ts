// Another commit of Tandem, ready to run beside this one: the same measurement of older code in
// the same run. The machines are shared and their speed moves from day to day (the same commit's
// CPU per event has doubled between two sessions), so a target an issue set against its own
// figures is judged against those figures' commit measured now, not against a number of that day.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR, ROOT } from './processes';

/** The commit issue 14's "now" column was measured at (bench/RESULTS.md, "Before"). */
export const ISSUE_14_BASELINE = '6ab6df6';

const CACHE = join(LOG_DIR, '..', 'checkouts');

function git(args: string[]): { ok: boolean; out: string } {
  const res = spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: res.status === 0, out: (res.stdout ?? '').trim() || (res.stderr ?? '').trim() };
}

/** The full hash of `rev` in this clone's history; undefined when the clone lacks it (a shallow clone). */
export function commitOf(rev: string): string | undefined {
  const res = git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return res.ok ? res.out : undefined;
}

/**
 * A directory holding `rev`'s tree, runnable with `startNode(..., root)`; or why not. Extracted
 * once into the cache (outside the clone, like the stack's downloads) with `git archive`; it uses
 * this checkout's node_modules, so only a commit with the same package-lock.json qualifies.
 * A commit from before bin/tandem-node gets one that starts node as its own bench did then
 * (`--import tsx`, no V8 flags).
 */
export function checkoutOf(rev: string): { root: string; commit: string } | { skipped: string } {
  const commit = commitOf(rev);
  if (!commit) return { skipped: `commit ${rev} is not in this clone's history (a shallow clone?)` };
  const lock = git(['diff', '--quiet', commit, 'HEAD', '--', 'package.json', 'package-lock.json']);
  if (!lock.ok) return { skipped: `commit ${rev} has other dependencies than this checkout (package.json or package-lock.json differ)` };
  const root = join(CACHE, commit);
  if (!existsSync(join(root, 'package.json'))) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${root}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    const res = spawnSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', ROOT, commit, partial], { encoding: 'utf8' });
    if (res.status !== 0) {
      rmSync(partial, { recursive: true, force: true });
      return { skipped: `git archive ${commit} failed: ${res.stderr.trim()}` };
    }
    if (!existsSync(join(partial, 'bin', 'tandem-node'))) {
      const launcher = join(partial, 'bin', 'tandem-node');
      mkdirSync(join(partial, 'bin'), { recursive: true });
      writeFileSync(launcher, '#!/bin/sh\n# Written by the bench: how this commit\'s own bench started node (tsx\'s loader, no V8 flags).\nflags=""\nwhile [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do flags="$flags $1"; shift; done\nexec node $flags --import tsx "$@"\n');
      chmodSync(launcher, 0o755);
    }
    renameSync(partial, root);
  }
  // Pointed at this checkout's dependencies every time: the clone that extracted it may be gone.
  rmSync(join(root, 'node_modules'), { force: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  return { root, commit };
}

/** BENCH_AB_ROOT and BENCH_LAG_ROOT: a directory with node_modules, or a commit of this clone. */
export function runnableRoot(spec: string): string {
  if (existsSync(join(spec, 'package.json'))) return spec;
  const c = checkoutOf(spec);
  if ('skipped' in c) throw new Error(`cannot run ${spec}: ${c.skipped}`);
  return c.root;
}
