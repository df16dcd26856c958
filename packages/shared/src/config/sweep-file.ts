/** A sweep file, read and checked: code past `readSweepFile` never re-checks shapes. */
import type { PyScalar } from '../sweep/py-value.js';

export interface CommandTemplate {
  name: string;
  text: string;
  line: number;
}

export interface AliasCase {
  value: PyScalar;
  /** The params this case sets, in the order written. */
  params: ReadonlyArray<readonly [string, PyScalar]>;
  line: number;
}

export interface Alias {
  name: string;
  cases: AliasCase[];
  /** Param names any of its cases sets, in the order first set. */
  targets: string[];
  line: number;
}

export interface ChoiceParam {
  key: string;
  values: PyScalar[];
  line: number;
}

/** Settings that a choice document may override with `_gpus`, `_pool`, ... */
export interface TaskSettings {
  /** GPUs each task needs in distributed mode; 0 = CPU only. */
  gpus: number;
  pool: string;
  priority: number;
  /** Wall-clock limit per task, in seconds. */
  timeoutSeconds?: number;
  /** How often a failed task is tried again. */
  retries: number;
}

export interface ChoiceDocument {
  /** 1-based among the choice documents (the file's document number minus one). */
  index: number;
  line: number;
  /** `_title`, as text. */
  title?: string;
  /** `_cmd`: the commands this document runs; undefined = all. */
  commands?: string[];
  commandsLine?: number;
  params: ChoiceParam[];
  settings: Partial<TaskSettings>;
}

export interface DefaultValue {
  value: PyScalar;
  line: number;
}

export interface MetricsSettings {
  /** Regular expression with groups `name` and `value` applied to every log line. */
  pattern: string;
  /** File in the task's output directory holding a flat JSON object of metrics. */
  file: string;
}

export interface SweepFile {
  /** As given on the command line; used in messages. */
  path: string;
  /** The exact text, copied into the output root. */
  text: string;
  templates: CommandTemplate[];
  defaults: Map<string, DefaultValue>;
  aliases: Map<string, Alias>;
  /** `resource` as strings (GPU slots for local mode); undefined when absent. */
  resources?: string[];
  /** The line of each of `resources`, for messages about one of them. */
  resourceLines?: number[];
  /** True when `resource` was one value, not a list (`resource: 0`, or `resource: 0,1`, one text). */
  resourceNotAList?: boolean;
  settings: TaskSettings;
  metrics: MetricsSettings;
  choices: ChoiceDocument[];
}

export const DEFAULT_METRICS: MetricsSettings = {
  pattern: '^METRIC\\s+(?<name>[\\w./-]+)\\s*[=:]\\s*(?<value>\\S+)',
  file: 'metrics.json',
};

export const DEFAULT_SETTINGS: TaskSettings = { gpus: 1, pool: 'default', priority: 0, retries: 0 };
