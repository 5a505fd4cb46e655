// verify as a library call on two database URLs, and the "wait until converged" loop the
// convergence tests and the soak run use after the writers stop.
import { compareDatabases, type CompareOptions, type VerifyReport } from './compare';
import { connectForVerify } from './connect';

export interface VerifyOptions extends CompareOptions {
  a: string;
  b: string;
}

export async function verifyDatabases(o: VerifyOptions): Promise<VerifyReport> {
  const a = await connectForVerify(o.a, 'a');
  try {
    const b = await connectForVerify(o.b, 'b');
    try {
      return await compareDatabases(a, b, o);
    } finally {
      await b.end().catch(() => b.destroy());
    }
  } finally {
    await a.end().catch(() => a.destroy());
  }
}

export interface ConvergeResult {
  report: VerifyReport;
  /** From the call until the first clean report (or until giving up). */
  settleMs: number;
  attempts: number;
}

/**
 * Verifies until the databases are identical or `timeoutMs` passes; resolves with the last report
 * either way (the caller decides: `report.ok`). Replication still in flight shows up as
 * differences that disappear on a later attempt.
 */
export async function waitUntilConverged(o: VerifyOptions & { timeoutMs: number; intervalMs?: number }): Promise<ConvergeResult> {
  const t0 = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const report = await verifyDatabases(o);
    if (report.ok || Date.now() - t0 > o.timeoutMs) return { report, settleMs: Date.now() - t0, attempts };
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
  }
}
