/**
 * A job that runs some of a task's commands (`coord submit -c test` after training) finds the
 * files of the others where they ran: on a machine whose agent has a disk of its own, not
 * necessarily here. Said of a failure, with how to run them together.
 */
import { parseTaskRecord, succeededCommands, TaskFiles, type TaskSpec } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';

/**
 * The commands this job did not select whose success the task's record in Redis holds, though
 * this task directory records none: another agent ran them, likely on another disk.
 */
export async function unselectedElsewhere(redis: Redis, taskKey: string, task: TaskSpec, workdir: string): Promise<string[]> {
  const selected = new Set(task.commands.map((command) => command.name));
  const results = parseTaskRecord(await redis.hgetall(taskKey))?.results ?? {};
  const succeeded = Object.entries(results)
    .filter(([command, stat]) => !selected.has(command) && stat.code === 0)
    .map(([command]) => command);
  if (succeeded.length === 0) return [];
  const here = succeededCommands(new TaskFiles(task, workdir).readStat());
  return succeeded.filter((command) => !here.has(command));
}
