// Once a command has finished, the process ends within a bound. Node ends when nothing is left to
// wait for, but a native client need not let go: a librdkafka consumer that went wedged after a
// broker restart (confluentinc/librdkafka#5511) is left open when the runtime replaces it, and a
// Kafka client's close can outlive its bound (lib/runtime/kafka-leftovers.ts). The first keeps the
// event loop alive; the second makes an exit through Node wait for ever (it joins the worker
// thread the close runs on), so that process ends by SIGTERM instead, as an unhandled one ends it.
import { kafkaLeftovers } from '../runtime/kafka-leftovers';
import { endBySignal } from '../runtime/shutdown';

/** How long a finished command may take to let go of what it opened. */
export const EXIT_GRACE_MS = 10_000;

/**
 * Sets the exit code and lets the process end by itself; ends it at once when a Kafka client was
 * left behind (see above), and `graceMs` later if something else it opened did not close, saying
 * so through `warn`.
 */
export function exitOnceFinished(code: number, warn: (line: string) => void, graceMs = EXIT_GRACE_MS): void {
  process.exitCode = code;
  if (kafkaLeftovers.stuckCloses > 0 || kafkaLeftovers.leftOpen > 0) return exitNow(code, warn);
  const timer = setTimeout(() => {
    warn(`tandem: the command finished ${Math.round(graceMs / 1000)} s ago but the process is still held open (${heldOpenBy()}); exiting`);
    exitNow(code, warn);
  }, graceMs);
  // Not a reason to stay: a process with nothing else left ends at once.
  timer.unref();
}

function exitNow(code: number, warn: (line: string) => void): void {
  if (kafkaLeftovers.stuckCloses === 0) return void process.exit(code);
  warn(`tandem: a Kafka client's close has not returned (librdkafka); Node cannot exit while it runs, so the process ends by SIGTERM instead of exit code ${code}`);
  endBySignal('SIGTERM');
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
