// Once a command has finished, the process ends within a bound. Node ends when nothing is left to
// wait for, but a native client need not let go: a librdkafka consumer that went wedged after a
// broker restart (confluentinc/librdkafka#5511) is replaced by the runtime without waiting for its
// disconnect, and its threads then keep the process alive for ever after a clean stop.

/** How long a finished command may take to let go of what it opened. */
export const EXIT_GRACE_MS = 10_000;

/**
 * Sets the exit code and lets the process end by itself; if it has not ended `graceMs` later
 * (something it opened did not close), says so through `warn` and exits with the same code.
 */
export function exitOnceFinished(code: number, warn: (line: string) => void, graceMs = EXIT_GRACE_MS): void {
  process.exitCode = code;
  const timer = setTimeout(() => {
    warn(`tandem: the command finished ${Math.round(graceMs / 1000)} s ago but the process is still held open (${heldOpenBy()}); exiting`);
    process.exit(code);
  }, graceMs);
  // Not a reason to stay: a process with nothing else left ends at once.
  timer.unref();
}

/**
 * What Node still has open, by kind (stdout and stderr are among them when they are pipes), and
 * the case Node cannot list: a native client's own threads, a wedged librdkafka's in practice.
 */
function heldOpenBy(): string {
  const open = process.getActiveResourcesInfo();
  const native = 'threads of a native client Node does not list, such as a Kafka client that did not close (librdkafka can stay wedged after a broker restart)';
  return open.length ? `open in Node: ${open.join(', ')}; or ${native}` : native;
}
