/** What a sweep expands into: tasks ready to run, in local mode or on an agent. */
import type { TaskSettings } from '../config/sweep-file.js';

export interface RenderedCommand {
  /** The template name (`train`). */
  name: string;
  /** The command line, without the `CUDA_VISIBLE_DEVICES=` prefix or the log redirect. */
  script: string;
}

/** One task: a parameter combination and the commands to run for it, in order. */
export interface TaskSpec {
  /** `Lr_0.1-Seed_1`. */
  name: string;
  /** The output root given with `-o` (relative to the working directory). */
  outputRoot: string;
  /** `{_output}`: `<root>/<name>`, or the root itself with `--no-param-dir`. */
  output: string;
  /** False with `--no-param-dir`: files then carry the task name as a suffix. */
  paramDir: boolean;
  /** `{_datetime}` of the expansion, used in log file names. */
  datetime: string;
  /** The resolved params (after aliases and defaults), as JSON, for `param.json`. */
  params: Record<string, unknown>;
  /**
   * `param.json` texts of the params JSON would write otherwise than the runner did (a float
   * `1.0`, `1e-05`, an int past 2^53), as Python's json.dump wrote them; absent when none.
   */
  paramTexts?: Record<string, string>;
  commands: RenderedCommand[];
  settings: TaskSettings;
}

/** `log.<command>.<datetime>`, with `.<name>` appended under `--no-param-dir`. */
export function logFileName(task: Pick<TaskSpec, 'paramDir' | 'datetime' | 'name'>, command: string): string {
  return task.paramDir ? `log.${command}.${task.datetime}` : `log.${command}.${task.datetime}.${task.name}`;
}

/** `param.json` / `stat.json`, or `param.<name>.json` when tasks share the root directory. */
export function taskFileName(task: Pick<TaskSpec, 'paramDir' | 'name'>, kind: 'param' | 'stat'): string {
  return task.paramDir ? `${kind}.json` : `${kind}.${task.name}.json`;
}

/** `20260525.143012`: the runner's `{_time}` format. */
export function formatDatetime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}.${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Ours (`20260525.143012`) and the original runner's (`2021-07-13.02:40:07`). */
const RUN_DATETIME = /\b(?:\d{8}\.\d{6}|\d{4}-\d{2}-\d{2}\.\d{2}:\d{2}:\d{2})\b/g;

/**
 * A command line with its run's `{_datetime}` (or `{_time}`) put back as a placeholder: an
 * unchanged template gives the same line in every run, so comparing lines across runs does
 * not take a new timestamp for a changed command.
 */
export function withoutRunDatetime(line: string): string {
  return line.replace(RUN_DATETIME, '{_datetime}');
}

/** Python's `os.path.join(root, name)` for a relative name. */
export function joinOutput(root: string, name: string): string {
  if (root === '') return name;
  return root.endsWith('/') ? root + name : `${root}/${name}`;
}
