// Ports a stack owns while it lives, even when one of its servers is down for a while (a soak's
// 3-minute database outage). Without a claim, `env --free-ports` of another run (make test) or
// another stack-up sees such a port free and takes it, and the first stack's clients then reach
// the other stack's server: its Debezium asks that server for a GTID it never had (error 1236),
// Tandem is refused ("Access denied") or writes into the wrong database.
// One small file per state dir under <cache>/port-claims; stack-up and env --free-ports write it,
// stack-down removes it. A claim counts while its stack has a process of its own running, or for
// a while after it was written (between choosing the ports and the first server answering).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StackConfig, StackPorts } from './config';

export interface PortClaim {
  stateDir: string;
  ports: number[];
  /** When it was written (ms since the epoch). */
  at: number;
}

/** How long a claim holds without a running process of its stack: a first stack-up downloads. */
export const CLAIM_GRACE_MS = 30 * 60_000;

const claimsDir = (cacheDir: string) => join(cacheDir, 'port-claims');
const claimFile = (cacheDir: string, stateDir: string) => join(claimsDir(cacheDir), `${createHash('sha1').update(resolve(stateDir)).digest('hex').slice(0, 16)}.json`);

export function writeClaim(cfg: Pick<StackConfig, 'cacheDir' | 'stateDir'>, ports: StackPorts, now = Date.now()): void {
  mkdirSync(claimsDir(cfg.cacheDir), { recursive: true });
  const claim: PortClaim = { stateDir: resolve(cfg.stateDir), ports: Object.values(ports), at: now };
  writeFileSync(claimFile(cfg.cacheDir, cfg.stateDir), `${JSON.stringify(claim)}\n`);
}

export function releaseClaim(cfg: Pick<StackConfig, 'cacheDir' | 'stateDir'>): void {
  rmSync(claimFile(cfg.cacheDir, cfg.stateDir), { force: true });
}

function readClaim(path: string): PortClaim | undefined {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<PortClaim>;
    return typeof c.stateDir === 'string' && Array.isArray(c.ports) && typeof c.at === 'number' ? (c as PortClaim) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Port → state dir of every other stack's live claim. `running(stateDir)` says whether that
 * stack has a process of its own; a claim that is neither running nor recent is removed.
 */
export function portsClaimedByOthers(cfg: Pick<StackConfig, 'cacheDir' | 'stateDir'>, running: (stateDir: string) => boolean, now = Date.now()): Map<number, string> {
  const own = resolve(cfg.stateDir);
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = readdirSync(claimsDir(cfg.cacheDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(claimsDir(cfg.cacheDir), name);
    const claim = readClaim(path);
    if (claim?.stateDir === own) continue;
    if (!claim || (now - claim.at > CLAIM_GRACE_MS && !running(claim.stateDir))) {
      rmSync(path, { force: true });
      continue;
    }
    for (const p of claim.ports) out.set(p, claim.stateDir);
  }
  return out;
}
