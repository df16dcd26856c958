/**
 * What each running task printed last: the line its command is still redrawing (a progress
 * bar) or else the last line it shipped, as a terminal shows it (see shownText), so that
 * `coord status` says at a glance how far every run has got (`train: epoch 12/100 loss 0.43`).
 * One pipeline for the page of tasks: per command, its log's meta and last stream entry.
 */
import { firstChars, shownText, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { ofThisRun } from './logs-state.js';

export interface LatestOutput {
  command: string;
  line: string;
}

/** Shown lines are cut here: a status row is one line of a terminal. */
const MAX_CHARS = 160;
/** The line an agent writes before a command's output in an attempt (attemptHeading). */
export const ATTEMPT_HEADING = /^--- attempt \d+ on .* ---$/;
/** The line it writes after: the command's outcome, or why its record could not be written. */
export const ATTEMPT_ENDING = /^--- (?:\w+ \((?:exit -?\d+|killed by \w+)\)|not recorded: .*) ---$/;

/** The line it writes where a burst of output had more lines than the stream keeps (gapLine). */
const LOG_GAP = /^--- \d+ lines not shipped here: .* ---$/;

/** A line an agent wrote before, after or amid a command's own output: not output. */
export function isAgentLine(text: string): boolean {
  return ATTEMPT_HEADING.test(text) || ATTEMPT_ENDING.test(text) || LOG_GAP.test(text);
}

interface Candidate extends LatestOutput {
  /** Its log has not ended: the command running now. */
  running: boolean;
  startedAt: number;
}

/** The command running now, else the one that started last. */
function later(a: Candidate | undefined, b: Candidate): Candidate {
  if (!a) return b;
  if (a.running !== b.running) return a.running ? a : b;
  return b.startedAt >= a.startedAt ? b : a;
}

export async function latestOutputs(redis: Redis, keys: RedisKeys, tasks: TaskRecord[]): Promise<Map<string, LatestOutput>> {
  const asked = tasks.filter((task) => task.state === 'running').flatMap((task) => task.commands.map((command) => ({ task, command, key: keys.log(task.id, command) })));
  const chosen = new Map<string, Candidate>();
  if (asked.length > 0) {
    const pipeline = redis.pipeline();
    for (const { key } of asked) {
      pipeline.hmget(`${key}:meta`, 'started', 'ended', 'partial');
      pipeline.xrevrange(key, '+', '-', 'COUNT', 1);
    }
    const answers = (await pipeline.exec()) ?? [];
    for (const [i, { task, command }] of asked.entries()) {
      const [metaError, meta] = answers[2 * i] ?? [null, null];
      const [lastError, last] = answers[2 * i + 1] ?? [null, null];
      if (metaError || lastError || !Array.isArray(meta)) continue;
      const [started, ended, partial] = meta as Array<string | null>;
      // Not started in this run: an earlier run's (its agent lost, or a command this run skipped).
      if (!ofThisRun(started, task.startedAt)) continue;
      const fields = (last as Array<[string, string[]]>)[0]?.[1] ?? [];
      const at = fields.indexOf('line');
      const lastLine = at < 0 ? '' : (fields[at + 1] ?? '');
      const shown = shownText(partial || (isAgentLine(lastLine) ? '' : lastLine));
      const line = shown.length > MAX_CHARS ? `${firstChars(shown, MAX_CHARS)}…` : shown;
      chosen.set(task.id, later(chosen.get(task.id), { command, line, running: ended === null, startedAt: Number(started) }));
    }
  }
  // Runs that printed something: their command and line.
  return new Map([...chosen].filter(([, output]) => output.line !== '').map(([id, { command, line }]) => [id, { command, line }]));
}
