// The local stack for the benches: reused when it is up (TANDEM_STATE_DIR and the port variables
// select which one), started otherwise and then stopped again at the end (by PID, as stack-down does).
import { clientEnv, loadStackConfig, stackDown, stackStatus, stackUp, type StackConfig } from '../../lib/stack';
import { say } from './stats';

export interface BenchStack {
  cfg: StackConfig;
  env: Record<string, string>;
  release(): Promise<void>;
}

export async function ensureStack(): Promise<BenchStack> {
  const cfg = loadStackConfig(process.env);
  const up = (await stackStatus(cfg)).every((l) => l.up);
  if (!up) {
    say(`stack: not (fully) up in ${cfg.stateDir}; starting it (make stack-up)`);
    await stackUp(cfg, (line) => say(`  ${line}`));
  }
  const env = clientEnv(cfg);
  Object.assign(process.env, env);
  return {
    cfg,
    env,
    release: async () => {
      if (up) return;
      say('stack: stopping what this bench started');
      await stackDown(cfg, (line) => say(`  ${line}`));
    },
  };
}
