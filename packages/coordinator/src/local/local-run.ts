/**
 * Local mode's scheduler: each `resource` entry is a slot; tasks start in order as slots
 * free up. The first abort starts nothing new and stops running commands cleanly.
 */
import { relative } from 'node:path';
import { commandEndText, formatDuration, fsErrorPath, fsReason, ranSeconds, runTask, shlexQuote, withLastLine, type CommandSkipEvent, type ExecutorEvent, type ProcessLauncher, type TaskOutcome, type TaskSpec } from '@sweep-runner/shared';
import { progressBar, type Terminal } from '../output/terminal.js';
import { taskLabel } from '../output/task-label.js';
import type { ChangedTask } from './rerun-command.js';
import { localTimeLeft, timeLeftText } from '../output/time-left.js';

export interface LocalRunOptions {
  tasks: TaskSpec[];
  slots: string[];
  workdir: string;
  force: boolean;
  launcher: ProcessLauncher;
  terminal: Terminal;
  signal: AbortSignal;
  killGraceMs: number;
  echo?: (chunk: Buffer) => void;
}

/** A task's files could not be made or written: what and why, its path relative to here (the message of any other error). */
function taskFilesError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = fsErrorPath(error);
  return code && where ? `cannot write ${relative(process.cwd(), where)}: ${fsReason(error)}` : (error as Error).message;
}

export interface FailedTask {
  task: TaskSpec;
  command: string;
  logPath: string;
  why: string;
}

export interface LocalRunSummary {
  total: number;
  succeeded: number;
  /** Every command had succeeded before. */
  skipped: number;
  /** Tasks with a skipped command that succeeded with another command line than now, and those commands. */
  changedTasks: ChangedTask[];
  failed: FailedTask[];
  interrupted: number;
  notStarted: number;
  seconds: number;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const { tasks, terminal } = options;
  const started = Date.now();
  const summary: LocalRunSummary = { total: tasks.length, succeeded: 0, skipped: 0, changedTasks: [], failed: [], interrupted: 0, notStarted: 0, seconds: 0 };
  let next = 0;
  let finished = 0;
  /** The running tasks, and when each started (ms). */
  const running = new Map<TaskSpec, number>();
  /** How long the last 50 tasks that ran and succeeded took, for the time left. */
  const recentLengths: number[] = [];
  const showProgress = () => {
    // Drawn only on a terminal: elsewhere its estimate would be worked out twice a task for nothing.
    if (!terminal.isTTY) return;
    const now = Date.now();
    const runningFor = [...running.values()].map((since) => (now - since) / 1000);
    const left = timeLeftText(localTimeLeft(recentLengths, tasks.length - next, runningFor, running.size > 0 ? options.slots.length : 0));
    terminal.status(`${progressBar(finished, tasks.length)}  running ${running.size}, failed ${summary.failed.length}${left && `, ${left}`}`);
  };
  const width = String(tasks.length).length;

  const runSlot = async (slot: string) => {
    while (!options.signal.aborted && next < tasks.length) {
      const index = next++;
      const task = tasks[index]!;
      const position = `${String(index + 1).padStart(width)}/${tasks.length}`;
      const say = (label: string, color: 'green' | 'red' | 'gray' | 'cyan' | 'yellow', event: ExecutorEvent, extra = '') =>
        terminal.line(`${terminal.color(color, label.padEnd(7))} gpu ${slot.padEnd(3)} ${event.command.padEnd(8)} ${position}  ${taskLabel(task)}${extra}`);
      running.set(task, Date.now());
      showProgress();
      // A task that runs nothing gets no lines (a rerun of 2000 done tasks would print 2000);
      // its skipped commands are shown only before one that runs.
      let skipLines: CommandSkipEvent[] = [];
      const sayChanged = (event: CommandSkipEvent) => (event.changed ? '  (succeeded with another command line than now: -f reruns it)' : '');
      let filesFailed: string | undefined;
      const outcome = await runTask({
        task,
        gpus: slot,
        workdir: options.workdir,
        launcher: options.launcher,
        force: options.force,
        signal: options.signal,
        killGraceMs: options.killGraceMs,
        env: { RUNNER_TASK: task.name, RUNNER_ATTEMPT: '1' },
        ...(options.echo && { echo: options.echo }),
        onEvent: (event) => {
          if (event.type === 'command-skip') skipLines.push(event);
          else if (event.type === 'command-start') {
            for (const skipped of skipLines) say('SKIP', 'gray', skipped, sayChanged(skipped));
            skipLines = [];
            say('START', 'cyan', event);
          }
          else if (event.stat.code === 0) say('OK', 'green', event, `  (${formatDuration(event.stat.seconds ?? 0)})`);
          else {
            // Stopped by Ctrl-C (or SIGTERM, SIGHUP) is not failed: the summary counts it apart, and a rerun runs it.
            const interrupted = event.stat.state === 'interrupted';
            say(interrupted ? 'STOPPED' : 'FAIL', interrupted ? 'yellow' : 'red', event, `  (${withLastLine(commandEndText(event.stat), event.lastLine)}; log: ${shlexQuote(relative(process.cwd(), event.logPath))})`);
          }
        },
      }).catch((error: unknown) => {
        filesFailed = taskFilesError(error);
        terminal.error(terminal.color('red', `${taskLabel(task)}: ${filesFailed}`));
        const failed: TaskOutcome = { state: 'failed', commands: [], skipped: [] };
        return failed;
      });
      running.delete(task);
      finished++;
      if (outcome.changedSinceSuccess) summary.changedTasks.push({ task, commands: outcome.changedSinceSuccess });
      const last = outcome.commands[outcome.commands.length - 1];
      if (outcome.state === 'succeeded') {
        if (outcome.commands.length === 0) summary.skipped++;
        else {
          summary.succeeded++;
          recentLengths.push(ranSeconds(outcome));
          if (recentLengths.length > 50) recentLengths.shift();
        }
      } else if (outcome.state === 'interrupted' && (!last || last.stat.state === 'interrupted')) {
        summary.interrupted++;
      } else {
        summary.failed.push({
          task,
          command: last?.command ?? '-',
          logPath: last ? relative(process.cwd(), `${options.workdir}/${task.output}`) : '',
          why: last ? withLastLine(commandEndText(last.stat), last.lastLine) : (filesFailed ?? 'could not prepare the task directory'),
        });
      }
      showProgress();
    }
  };
  // Redrawn every second too, so the time left counts down while long tasks run.
  const redraw = terminal.isTTY ? setInterval(showProgress, 1000).unref() : undefined;
  await Promise.all(options.slots.map(runSlot)).finally(() => clearInterval(redraw));
  terminal.clearStatus();
  summary.notStarted = tasks.length - finished;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
