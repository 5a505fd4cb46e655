// Waiting on a named condition with a deadline (never a bare sleep).
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class WaitTimeout extends Error {}

/**
 * Polls `check` until it returns a value other than undefined/false, or throws WaitTimeout naming
 * `what` and the last error seen. `abort` lets the caller fail early (e.g. the process exited).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const why = opts.abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeout(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    }
    await pause(opts.intervalMs ?? 250);
  }
}
