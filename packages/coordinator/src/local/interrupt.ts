/** Two-step interrupts: the first Ctrl-C (or SIGTERM) drains, the second kills. */

export function onInterrupt(handlers: { first: (signal: NodeJS.Signals) => void; second: (signal: NodeJS.Signals) => void }): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) handlers.first(signal);
    else handlers.second(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
