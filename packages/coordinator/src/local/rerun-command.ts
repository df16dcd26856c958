/**
 * The `coord run` that runs again the commands a rerun skipped as done though their line has
 * changed since they succeeded, to be pasted as it is: the same sweep file, output, title,
 * sample and slots as given, `-f`, and `-c` with the changed commands and those after them
 * (a test that ran on the old training's model is stale too), not the earlier ones: after
 * an edit of the evaluation, `-f` alone would train every task again.
 */
import { shlexQuote, type TaskSpec } from '@sweep-runner/shared';
import { sweepArgWords } from '../options/sweep-arg-words.js';
import type { SweepArgs } from '../options/sweep-options.js';

export interface ChangedTask {
  task: TaskSpec;
  /** Its commands skipped as done whose line changed since they succeeded. */
  commands: string[];
}

/**
 * `succeeded`: a task's commands that succeeded (its stat.json). A task that has not succeeded
 * the commands `-c` leaves out (new to the sweep, failed, not started) would run the later ones
 * without them, and a plain rerun would then skip those as done: the plain rerun comes first
 * (`coord run && coord run -f -c test`), and the forced one only once it ran them all.
 */
export function forcedRerunCommand(
  args: SweepArgs & { resource?: string[] },
  file: string,
  seed: number | undefined,
  tasks: TaskSpec[],
  changed: ChangedTask[],
  succeeded: (task: TaskSpec) => Set<string>,
): string {
  const words = ['coord', 'run', ...sweepArgWords(args, file, seed)];
  if (args.resource?.length) words.push('-r', ...args.resource);
  const line = (more: string[]) => [...words, ...more].map((word, i) => (i < 2 ? word : shlexQuote(word))).join(' ');
  const given = args.command?.length ? ['-c', ...args.command] : [];
  const narrowed = rerunCommands(tasks, changed);
  if (!narrowed) return line(['-f', ...given]);
  const forced = line(['-f', '-c', ...narrowed.rerun]);
  const undone = tasks.some((task) => {
    const done = succeeded(task);
    return narrowed.before.some((name) => !done.has(name));
  });
  return undone ? `${line(given)} && ${forced}` : forced;
}

/**
 * The changed commands and those after them (`rerun`), in the tasks' order, and those before
 * them; undefined when that is all of them, or when tasks run different commands (`_cmd`): -c
 * overrides `_cmd`, and would run a command in tasks whose document left it out.
 */
function rerunCommands(tasks: TaskSpec[], changed: ChangedTask[]): { rerun: string[]; before: string[] } | undefined {
  const names = tasks[0]?.commands.map((command) => command.name) ?? [];
  if (tasks.some((task) => task.commands.map((command) => command.name).join('\0') !== names.join('\0'))) return undefined;
  const first = Math.min(...changed.flatMap(({ commands }) => commands.map((name) => names.indexOf(name))).filter((at) => at >= 0));
  return first > 0 && first < names.length ? { rerun: names.slice(first), before: names.slice(0, first) } : undefined;
}
