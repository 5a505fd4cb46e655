// What every piece of the local stack (Kafka, registry, Connect, the two databases) offers the
// orchestrator, and the error that names which piece failed and where its log is.
import { join } from 'node:path';
import type { StackConfig } from './config';
import { isAlive, readPid, runningPid, stopDaemon, tailFile } from './processes';

export interface Component {
  readonly name: string;
  /** Printed by `status`; for databases a URL Tandem's commands accept. */
  readonly address: string;
  readonly logFile: string;
  /** Idempotent: starts the process unless ours already runs, then waits until it answers. */
  up(): Promise<void>;
  /** Cheap probe: our process runs and answers. */
  isUp(): Promise<boolean>;
  /** Stops our process (SIGTERM, then SIGKILL after a grace period); no-op when not running. */
  down(): Promise<string>;
  /** PIDs we own right now (for RSS figures). */
  pids(): number[];
}

export class ComponentError extends Error {
  constructor(readonly component: string, readonly reason: string, readonly logFile: string) {
    super(`${component} failed: ${reason}\n  log: ${logFile}\n  last lines:\n${indent(tailFile(logFile, 30))}`);
    this.name = 'ComponentError';
  }
}

const indent = (s: string) => s.split('\n').map((l) => `    ${l}`).join('\n');

/** Pid file, log file and the command-line marker that proves a PID is this component's. */
export function processFiles(cfg: StackConfig, name: string) {
  return {
    pidFile: join(cfg.stateDir, 'run', `${name}.pid`),
    logFile: join(cfg.stateDir, 'logs', `${name}.log`),
    marker: `-Dtandem.stack=${join(cfg.stateDir, name)}`,
    dir: join(cfg.stateDir, name),
  };
}

export interface DaemonHandle {
  pidFile: string;
  marker: string;
  logFile: string;
}

export const daemonPid = (d: DaemonHandle) => runningPid(d.pidFile, d.marker);
export const stopOwnDaemon = async (d: DaemonHandle, graceMs: number) => stopDaemon(d.pidFile, d.marker, graceMs);

/**
 * An `abort` callback for waitFor: the daemon we just started died while we waited. Liveness of
 * its PID, not the marker: the marker shows only once its exec() has completed.
 */
export const diedWhileWaiting = (d: DaemonHandle) => () => {
  const pid = readPid(d.pidFile);
  return pid === undefined || !isAlive(pid) ? 'the process exited' : undefined;
};
