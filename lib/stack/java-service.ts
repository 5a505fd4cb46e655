// A JVM the stack runs in the background: heap capped, logs into the state dir, marked as ours.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config';
import { ComponentError, daemonPid, diedWhileWaiting, processFiles, stopOwnDaemon, type Component } from './component';
import { startDaemon } from './processes';
import { repoRoot } from './versions';
import { waitFor } from './wait';

export interface JavaServiceSpec {
  name: string;
  address: string;
  javaHome: string;
  heap: string;
  /** Arguments after the JVM options (`-cp dir/* Main args` or `-jar x.jar`). */
  args: (dir: string) => string[];
  extraJvm?: (dir: string) => string[];
  /** Runs before each start (write config, format storage...). */
  prepare?: (dir: string) => void | Promise<void>;
  probe: () => Promise<boolean>;
  startTimeoutMs: number;
  cwd?: string;
}

export function javaService(cfg: StackConfig, spec: JavaServiceSpec): Component {
  const files = processFiles(cfg, spec.name);
  const log4j = join(repoRoot, 'stack', 'log4j2.properties');
  const isUp = async () => daemonPid(files) !== undefined && (await spec.probe().catch(() => false));
  return {
    name: spec.name,
    address: spec.address,
    logFile: files.logFile,
    isUp,
    pids: () => {
      const pid = daemonPid(files);
      return pid === undefined ? [] : [pid];
    },
    async up() {
      if (daemonPid(files) === undefined) {
        mkdirSync(files.dir, { recursive: true });
        writeFileSync(files.logFile, `--- ${new Date().toISOString()} starting ${spec.name}\n`, { flag: 'a' });
        try {
          await spec.prepare?.(files.dir);
        } catch (err) {
          throw new ComponentError(spec.name, err instanceof Error ? err.message : String(err), files.logFile);
        }
        startDaemon({
          command: join(spec.javaHome, 'bin', 'java'),
          args: [
            `-Xms64m`, `-Xmx${spec.heap}`, '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
            files.marker, `-Dlog4j2.configurationFile=${log4j}`, ...(spec.extraJvm?.(files.dir) ?? []), ...spec.args(files.dir),
          ],
          env: { ...process.env, JAVA_HOME: spec.javaHome },
          cwd: spec.cwd ?? files.dir,
          logFile: files.logFile,
          pidFile: files.pidFile,
        });
      }
      try {
        await waitFor(`${spec.name} to answer on ${spec.address}`, spec.probe, {
          timeoutMs: spec.startTimeoutMs,
          intervalMs: 300,
          abort: diedWhileWaiting(files),
        });
      } catch (err) {
        throw new ComponentError(spec.name, err instanceof Error ? err.message : String(err), files.logFile);
      }
    },
    down: () => stopOwnDaemon(files, 30_000),
  };
}

/** GET `url`; true on a 2xx answer. */
export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.ok;
}
