// Triggers on a synced table other than Tandem's own (tandem_<table>_bi|bu|bd) fire on Tandem's
// replicated writes too, unless they skip Tandem's sessions by checking @tandem_apply.
import { tandemTriggerNames } from '../../sink';
import { ok, warning, type Finding } from '../finding';
import { exists, tableSubject, type TableContext } from './context';

export function checkTriggers(t: TableContext): Finding[] {
  if (!t.sides.every((s) => exists(s.table))) return [];
  const ours = new Set(tandemTriggerNames(t.spec.name));
  const subject = tableSubject(t.spec.name);
  return t.sides.flatMap((s) =>
    s.table.triggers
      .filter((tr) => !ours.has(tr.name))
      .map((tr) =>
        /@tandem_apply\b/i.test(tr.statement)
          ? ok('trigger', subject, `${tr.name} (${tr.when}) on ${s.server.id} checks @tandem_apply, so it can skip Tandem's writes`)
          : warning(
              'trigger',
              subject,
              `${tr.name} (${tr.when}) on ${s.server.id} is not Tandem's and does not check @tandem_apply: it fires on Tandem's replicated writes too (what it writes then carries Tandem's server id and is not synced)`,
              `if it must act on the application's writes only, wrap its body in IF COALESCE(@tandem_apply, 0) <> 1 THEN ... END IF`,
            ),
      ),
  );
}
