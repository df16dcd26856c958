/**
 * Two-step interrupts: the first Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes)
 * drains, the second kills.
 */
import { constants } from 'node:os';

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How a shell reports a process ended by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 2);
}

export function onInterrupt(handlers: { first: (signal: NodeJS.Signals) => void; second: (signal: NodeJS.Signals) => void }): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) handlers.first(signal);
    else handlers.second(signal);
  };
  for (const signal of INTERRUPTS) process.on(signal, listener);
  return () => {
    for (const signal of INTERRUPTS) process.off(signal, listener);
  };
}
