/** What the executor reports while it runs a task: local mode prints it, the agent ships it to Redis. */
import type { CommandStat, TaskStat } from './task-files.js';

export interface CommandStartEvent {
  type: 'command-start';
  command: string;
  /** 0-based position among the task's commands. */
  index: number;
  total: number;
  logPath: string;
  /** Where this run's output begins in the log: a rerun appends to the log of an earlier one. */
  logFrom: number;
  pid: number;
  startedAt: string;
}

export interface CommandSkipEvent {
  type: 'command-skip';
  command: string;
  index: number;
  total: number;
  /** It succeeded with another command line than the sweep file renders now. */
  changed?: boolean;
  /**
   * When the skip comes from this task's own records on disk (an earlier run on this machine,
   * `coord run` say): its record there, the line that succeeded, and that run's log, if the
   * line names it. An agent tells Redis of such a success, which it may not know of.
   */
  onDisk?: { stat: TaskStat[string]; script: string; logPath?: string };
}

export interface CommandEndEvent {
  type: 'command-end';
  command: string;
  index: number;
  total: number;
  logPath: string;
  stat: CommandStat;
  /** A failed or timed-out command's last line of output, if it wrote one (see lastLogLine). */
  lastLine?: string;
}

export type ExecutorEvent = CommandStartEvent | CommandSkipEvent | CommandEndEvent;
