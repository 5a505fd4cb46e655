// SIGINT/SIGTERM: the first asks for a graceful stop (finish, commit, disconnect); a second one
// forces the exit. Nothing is lost either way: uncommitted records are re-read and re-applied.
export function onShutdownSignals(graceful: (signal: NodeJS.Signals) => void, forced: (signal: NodeJS.Signals) => void): () => void {
  let seen = 0;
  const handler = (signal: NodeJS.Signals) => {
    seen++;
    if (seen === 1) graceful(signal);
    else forced(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Ends the process by `signal`, as a process that does not handle it ends. Not process.exit():
 * Node's exit joins its worker threads, and one held by a Kafka client's close that never returns
 * (kafka-leftovers.ts) would keep the process alive for ever.
 */
export function endBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // The default action ends the process at once; should something still catch the signal:
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000);
}
