/**
 * Successes this agent's disk records that the task's record in Redis has overtaken: the
 * command ran again since, on an agent with another disk (a forced run on another machine,
 * which took back its records there and in Redis, but not here). Skipped for them, the task
 * would end "succeeded" with nothing of the run the researcher asked for.
 */
import type { TaskStat } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/** Whether a run recorded in Redis began after the disk's record of the command ended (or the disk has none). */
function ranSince(recorded: string | null, onDisk: TaskStat[string] | undefined): boolean {
  if (recorded === null) return false;
  const startedAt = Date.parse((JSON.parse(recorded) as { startedAt?: string }).startedAt ?? '');
  const endedAt = Date.parse(onDisk?.endedAt ?? '');
  return Number.isFinite(startedAt) && (!Number.isFinite(endedAt) || startedAt > endedAt);
}

/** From the first command Redis saw run since the disk recorded it: that one and those after it, which came from the run it replaces. */
export async function outdatedOnDisk(redis: Redis, taskKey: string, commands: string[], onDisk: TaskStat): Promise<string[]> {
  const recorded = await redis.hmget(taskKey, ...commands.map((command) => `cmd:${command}`));
  const first = commands.findIndex((command, i) => ranSince(recorded[i] ?? null, onDisk[command]));
  return first < 0 ? [] : commands.slice(first);
}
