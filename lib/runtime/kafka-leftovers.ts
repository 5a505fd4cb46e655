// Kafka clients Tandem stopped waiting for, which the process exit must know about. node-rdkafka
// closes a client on a libuv worker thread, and Node's exit (process.exit() included) joins those
// threads: a close that never ends, as a librdkafka client wedged without its group coordinator
// does (confluentinc/librdkafka#5511), would hold the process for ever. So a wedged client is left
// open instead of closed, and a close that outlives its bound is counted; lib/cli/exit.ts reads both.

export const kafkaLeftovers = {
  /** Clients left open on purpose (a replaced consumer; at a stop, one with no broker or coordinator): they keep Node's event loop alive, but not its exit. */
  leftOpen: 0,
  /** Closes still running past their bound: an exit through Node would wait for them. */
  stuckCloses: 0,
};

/**
 * Starts `close` (which calls back once the client is closed) and resolves true if it finished
 * within `ms`; false otherwise, counting it in `stuckCloses` until it does finish.
 */
export function closeWithin(close: (done: () => void) => void, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      kafkaLeftovers.stuckCloses++;
      resolve(false);
    }, ms);
    close(() => {
      clearTimeout(timer);
      if (late) kafkaLeftovers.stuckCloses--;
      else resolve(true);
    });
  });
}
