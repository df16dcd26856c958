/** What the executor reports while it runs a task: local mode prints it, the agent ships it to Redis. */
import type { CommandStat } from './task-files.js';

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
