/**
 * What coord says to every agent on the control channel (`RedisKeys.control`), as it happens:
 * a cancel (the task hash carries it too, for an agent that missed it), or a retry, after
 * which an agent paused by the quick failures of that sweep takes work again at once (the
 * sweep's record counts its retries too, `retried`, which such an agent reads every few
 * seconds, for a message it missed).
 */
export type ControlMessage = { type: 'cancel'; reason: string; taskIds?: string[] } | { type: 'retry'; sweep: string };

export function controlMessage(message: ControlMessage): string {
  return JSON.stringify(message);
}
