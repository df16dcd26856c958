/**
 * A task cancelled while it runs stays running until its run ends (its agent kills it, or, the
 * agent lost, its job is found stalled): status and the dashboard show it as cancelling.
 */
import type { TaskRecord } from '@sweep-runner/shared';

export function isCancelling(task: TaskRecord): boolean {
  return task.state === 'running' && task.cancel !== undefined;
}
