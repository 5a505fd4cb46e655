// tandem doctor at the start of `tandem run` (lib/runtime/launch.ts), before any sink is built:
// every finding is logged, and a refusal stops the start. A database that does not answer yet is
// waited for like any outage; TANDEM_DOCTOR=off skips all this.
import type { TandemConfig } from '../config';
import { defaultRetryPolicy, fatal, withRetry, type RetryPolicy } from '../errors';
import type { Logger, Outages } from '../observe';
import { formatFinding } from './format';
import { runDoctor } from './run';

export interface PreflightOptions {
  config: TandemConfig;
  log: Logger;
  outages: Outages;
  retry?: RetryPolicy;
}

/** Resolves when nothing is refused (or TANDEM_DOCTOR=off); throws a fatal error naming each refusal otherwise. */
export async function preflight(o: PreflightOptions): Promise<void> {
  if (o.config.doctor === 'off') {
    o.log.info('TANDEM_DOCTOR=off: the databases are not checked before starting');
    return;
  }
  const findings = await withRetry(o.retry ?? defaultRetryPolicy, () => runDoctor(o.config, { unreachable: 'throw' }), o.outages.hooks('doctor'));
  // Refusals go into the error thrown below (logged once by the caller, with its hint).
  for (const f of findings) {
    const fields = { check: f.check, subject: f.subject, ...(f.fix ? { fix: f.fix } : {}) };
    if (f.level === 'warning') o.log.warn(`doctor: ${f.message}`, fields);
    else if (f.level === 'ok') o.log.debug(`doctor: ${f.message}`, fields);
  }
  const refusals = findings.filter((f) => f.level === 'refused');
  if (refusals.length > 0) {
    throw fatal(`tandem doctor refused ${refusals.length} check${refusals.length === 1 ? '' : 's'}:\n  ${refusals.map((f) => formatFinding(f)).join('\n  ')}`, {
      stage: 'doctor',
      hint: 'fix what is refused (make doctor lists every finding with its fix; docs/doctor.md); TANDEM_DOCTOR=off skips these checks',
    });
  }
  o.log.info('doctor: nothing refused', { warnings: findings.filter((f) => f.level === 'warning').length });
}
