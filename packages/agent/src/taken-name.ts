/**
 * Why an agent does not start under a name a live agent holds. A draining one (stopped once
 * with Ctrl-C or SIGTERM, finishing its tasks) is being restarted, not doubled: another
 * --name would run a second agent on the GPUs its tasks still use.
 */
import type { AgentRecord } from '@sweep-runner/shared';

export function takenNameMessage(name: string, other: AgentRecord, pid: number | undefined, onThisHost: boolean): string {
  const ago = Math.max(0, Math.round((Date.now() - other.lastSeen) / 1000));
  const running = `an agent named "${name}" is already running on ${other.host}${pid !== undefined ? ` (pid ${pid})` : ''}, seen ${ago} s ago`;
  if (other.state !== 'draining') return `${running}: give each agent its own --name, or leave --name out for a unique one`;
  if (other.running.length === 0) return `${running}, draining: it exits in a moment; start this agent once it has exited`;
  const one = other.running.length === 1;
  const tasks = one ? 'its running task ends' : `its ${other.running.length} running tasks end`;
  const stopNow = onThisHost && pid !== undefined ? `kill -TERM ${pid}` : 'a second signal to it';
  return `${running}, draining: it exits once ${tasks} (${stopNow} stops ${one ? 'it' : 'them'} now and hands ${one ? 'it' : 'them'} back to the queue); start this agent once it has exited`;
}
