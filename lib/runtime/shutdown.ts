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
