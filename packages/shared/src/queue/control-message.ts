/**
 * What coord says to every agent on the control channel (`RedisKeys.control`), as it happens:
 * a cancel (the task hash carries it too, for an agent that missed it), or a retry, after
 * which an agent paused by the quick failures of that sweep takes work again at once (missed,
 * the pause ends by itself).
 */
export type ControlMessage = { type: 'cancel'; reason: string; taskIds?: string[] } | { type: 'retry'; sweep: string };

export function controlMessage(message: ControlMessage): string {
  return JSON.stringify(message);
}
