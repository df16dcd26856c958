/**
 * What the file system charges for a task's files right now: a directory, two records
 * written and renamed (param.json, stat.json) and a log, as `coord run` and the
 * runner-equivalent make per task (the xargs floor makes only the log). Timed under the
 * bench's workspace root and in the temp dir itself, so a reader can tell a slow disk from
 * slow code (see util/workspaces.ts).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainTempDir, workspace, workspaceRoot } from '../util/workspaces.js';

export interface FileCostResult {
  /** Microseconds per task's files under the bench's workspace root. */
  workspaceUs: number;
  /** The same in the temp dir itself, where the test suite and other programs churn. */
  tempDirUs: number;
  /** Whether the workspace root is spread away from the temp dir's block groups (chattr +T took). */
  spread: boolean;
}

function usPerTask(dir: string, tasks: number): number {
  const started = performance.now();
  for (let i = 0; i < tasks; i++) {
    const task = join(dir, `x_${i}`);
    mkdirSync(task);
    for (const record of ['param.json', 'stat.json']) {
      writeFileSync(join(task, `.${record}.tmp`), '{"x": 1}\n');
      renameSync(join(task, `.${record}.tmp`), join(task, record));
    }
    writeFileSync(join(task, 'log.run'), '');
  }
  return ((performance.now() - started) * 1000) / tasks;
}

export function measureFileCost(tasks = 300): FileCostResult {
  return { workspaceUs: usPerTask(workspace('files'), tasks), tempDirUs: usPerTask(plainTempDir('files'), tasks), spread: workspaceRoot().spread };
}
