/** How coord run's lines name a task. */
import type { TaskSpec } from '@sweep-runner/shared';

/**
 * `output/Lr_1-Seed_1`: the task's directory, which is named after it; with `--no-param-dir`
 * every task's directory is the output root, so the name follows it: `flat (Lr_1-Seed_1)`.
 */
export function taskLabel(task: Pick<TaskSpec, 'output' | 'name' | 'paramDir'>): string {
  return task.paramDir ? task.output : `${task.output} (${task.name})`;
}
