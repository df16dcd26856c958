/** `coord logs TASK`: a task's log lines from Redis, from any machine; `-f` follows them live. */
import { ExitError, UNSUCCESSFUL_STATES, type RedisKeys, type TaskRecord, type TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { findTask } from '../distributed/find-task.js';
import { ATTEMPT_HEADING, isAgentLine } from '../distributed/latest-output.js';
import { goneFromRedis, readLogsState } from '../distributed/logs-state.js';
import { UnreportedEnds } from '../distributed/unreported-ends.js';
import { numberFlag } from '../options/number-flags.js';
import { connect, connectionFlags, withRedisOptions, type RedisArgs } from '../options/redis-options.js';
import { createTerminal } from '../output/terminal.js';

interface LogsArgs extends RedisArgs {
  task: string;
  command?: string;
  follow: boolean;
  tail?: string;
  sweep?: string;
  json: boolean;
}

type StreamEntry = [id: string, fields: string[]];

/** The log line an entry of a stream holds (its fields are name, value, name, value...). */
function lineOf([, fields]: StreamEntry): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'line') return fields[i + 1]!;
  return '';
}

/** `task X_1 is cancelled (not needed)`: a task's state, and why when its record says. */
function stateText(name: string, state: string, reason: string | null | undefined): string {
  return `task ${name} is ${state}${reason ? ` (${reason})` : ''}`;
}

/** `task X_1 failed (train: exit 1)`: how a followed task ended without succeeding, for the line that explains a follower's exit code. */
function endText(name: string, state: TaskState, reason: string | null | undefined): string {
  const how = state === 'timeout' ? 'timed out' : state === 'cancelled' ? 'was cancelled' : state;
  return `task ${name} ${how}${reason ? ` (${reason})` : ''}`;
}

/** How often a follower looks for new lines, and for a changed unfinished line. */
const FOLLOW_BLOCK_MS = 500;

class LinePrinter {
  /** Per command, the number of the next line (lines count from 1 over all attempts). */
  readonly next = new Map<string, number>();
  /** Per command, the unfinished line (a progress bar's last redraw) last shown. */
  private readonly partials = new Map<string, string>();
  private readonly unreportedEnds = new UnreportedEnds();
  private readonly terminal = createTerminal();
  constructor(
    private readonly json: boolean,
    private readonly follow: boolean,
  ) {}
  line(command: string, entry: StreamEntry): void {
    const text = lineOf(entry);
    this.endUnreported(command, text);
    const n = this.next.get(command) ?? 1;
    this.next.set(command, n + 1);
    // A new line of the command ends the line it was redrawing: that one is now a line, or older than the next.
    if (this.partials.get(command)) this.showPartial(command, '');
    // The lines the agent adds (an attempt's heading, the outcome) are marked for scripts that want only output.
    if (this.json) process.stdout.write(`${JSON.stringify({ command, n, line: text, ...(isAgentLine(text) && { added: true }) })}\n`);
    else this.terminal.line(text);
  }
  /** An attempt whose agent never reported its end (killed, or cut off from Redis): said, as the outcome would be. */
  private endUnreported(command: string, text: string): void {
    const said = this.unreportedEnds.before(command, text);
    if (said === undefined) return;
    // Not a line of the stream: it has no number.
    if (this.json) process.stdout.write(`${JSON.stringify({ command, n: null, line: said, added: true })}\n`);
    else this.terminal.line(said);
  }
  /**
   * The line a command is still redrawing: the last line printed, or, following on a
   * terminal, a status line redrawn in place (off a terminal a follower prints whole lines only).
   */
  partial(command: string, text: string): void {
    if ((this.partials.get(command) ?? '') !== text) this.showPartial(command, text);
  }
  private showPartial(command: string, text: string): void {
    // Last in the map: the status line shows the one that changed last.
    this.partials.delete(command);
    this.partials.set(command, text);
    if (this.json) {
      if (text !== '') process.stdout.write(`${JSON.stringify({ command, partial: true, line: text })}\n`);
    } else if (!this.follow) {
      if (text !== '') this.terminal.line(text);
    } else {
      const shown = [...this.partials.values()].filter((value) => value !== '').pop();
      if (shown === undefined) this.terminal.clearStatus();
      else this.terminal.status(shown);
    }
  }
  note(text: string): void {
    if (!this.json) this.terminal.error(text);
  }
  done(): void {
    this.terminal.clearStatus();
  }
}

/**
 * Where the whole log is: `==> train: host:path <==` (once the agent has shipped its first
 * lines). Redis keeps only the latest attempt's file: with several attempts shown (another
 * agent, another submission), it says whose.
 */
function printSource(command: string, meta: Record<string, string>, printer: LinePrinter, attempts = 1): void {
  if (meta.path) printer.note(`==> ${command}: ${meta.host ?? '?'}:${meta.path}${attempts > 1 ? " (the latest attempt's)" : ''} <==`);
}

/**
 * The last entries of a stream that hold `lines` lines of the command's own output: the lines
 * the agent writes (an attempt's heading, its ending) come with them but do not count, so
 * `--tail 3` of an ended log is three lines and the ending, and a tail that reaches into an
 * earlier attempt has that attempt's ending and the next one's heading between.
 */
async function lastOwnLines(redis: Redis, key: string, lines: number): Promise<StreamEntry[]> {
  const newestFirst: StreamEntry[] = [];
  let own = 0;
  let before = '+';
  while (own < lines) {
    // Each attempt adds two lines: a batch a little larger than what is missing mostly does.
    const wanted = lines - own + 2;
    // From the oldest entry read so far, which comes again (an exclusive start needs Redis 6.2).
    const batch = ((await redis.xrevrange(key, before, '-', 'COUNT', wanted + (before === '+' ? 0 : 1))) as StreamEntry[]).filter(([id]) => id !== before);
    for (const entry of batch) {
      if (isAgentLine(lineOf(entry))) {
        newestFirst.push(entry);
        continue;
      }
      if (own === lines) break;
      newestFirst.push(entry);
      own++;
    }
    // The whole stream is read: its first lines (the first attempt's heading) are shown too.
    if (batch.length < wanted && own < lines) return newestFirst.reverse();
    before = batch[batch.length - 1]![0];
  }
  // Agent lines older than the oldest line of output shown belong to output not shown.
  while (newestFirst.length > 0 && isAgentLine(lineOf(newestFirst[newestFirst.length - 1]!))) newestFirst.pop();
  return newestFirst.reverse();
}

async function printExisting(redis: Redis, key: string, command: string, tail: number | undefined, printer: LinePrinter): Promise<string> {
  const [meta, kept] = await Promise.all([redis.hgetall(`${key}:meta`), redis.xlen(key)]);
  const entries = tail === undefined ? ((await redis.xrange(key, '-', '+')) as StreamEntry[]) : tail === 0 ? [] : await lastOwnLines(redis, key, tail);
  const shipped = Number(meta.lines ?? kept);
  // Number of the first line printed: lines before it were dropped by the cap or left out by --tail.
  printer.next.set(command, shipped - entries.length + 1);
  // Attempts shown: one per heading, and one more whose heading --tail left out.
  const headings = entries.filter((entry) => ATTEMPT_HEADING.test(lineOf(entry))).length;
  const headless = headings > 0 && !ATTEMPT_HEADING.test(lineOf(entries[0]!));
  printSource(command, meta, printer, headings + (headless ? 1 : 0));
  if (tail === undefined && shipped > kept) {
    printer.note(`(${shipped - kept} earlier lines were dropped from Redis; the whole log is in ${meta.host ?? '?'}:${meta.path ?? '?'})`);
  }
  for (const entry of entries) printer.line(command, entry);
  return entries.length > 0 ? entries[entries.length - 1]![0] : '0';
}

/** Follows until the task is final (or gone) and its logs have ended; returns its last state, null once Redis no longer holds it. */
async function followStreams(redis: Redis, keys: RedisKeys, task: TaskRecord, commands: string[], lastIds: Map<string, string>, printer: LinePrinter): Promise<string | null> {
  const reader = redis.duplicate();
  try {
    for (;;) {
      const streamKeys = commands.map((c) => keys.log(task.id, c));
      const result = (await reader.xread('COUNT', 1000, 'BLOCK', FOLLOW_BLOCK_MS, 'STREAMS', ...streamKeys, ...commands.map((c) => lastIds.get(c) ?? '0'))) as
        | Array<[string, StreamEntry[]]>
        | null;
      for (const [key, entries] of result ?? []) {
        const command = commands[streamKeys.indexOf(key)]!;
        // A log that had not started when we began following: say where it is first.
        if (!lastIds.has(command)) printSource(command, await redis.hgetall(`${key}:meta`), printer);
        for (const entry of entries) {
          printer.line(command, entry);
          lastIds.set(command, entry[0]);
        }
      }
      const logs = await readLogsState(redis, keys, task.id, streamKeys);
      logs.partials.forEach((partial, i) => printer.partial(commands[i]!, partial));
      // Nothing new for a while: stop once the task is final and every stream has ended (or never will).
      if (!result && logs.done(commands.map((c) => lastIds.has(c)))) return logs.state;
    }
  } finally {
    reader.disconnect();
  }
}

/**
 * A task that ended without starting since it was last queued (cancelled while it waited):
 * no line of its log says so, and the log may end with an earlier run's `--- succeeded ---`.
 * `reread`: after following, the task as it is now, not as it was found.
 */
async function endedUnstarted(redis: Redis, keys: RedisKeys, found: TaskRecord, reread: boolean): Promise<string | undefined> {
  const [state, startedAt, reason] = reread ? await redis.hmget(keys.task(found.id), 'state', 'startedAt', 'reason') : [found.state, found.startedAt, found.reason];
  if (!state || state === 'waiting' || state === 'running' || startedAt) return undefined;
  return stateText(found.name, state, reason);
}

async function handler(args: ArgumentsCamelCase<LogsArgs>): Promise<void> {
  const tail = numberFlag('tail', args.tail, { integer: true, min: 0 });
  const { redis, keys } = await connect(args);
  try {
    const task = await findTask(redis, keys, args.task, args.sweep, 'logs', connectionFlags(args, { secret: false }));
    // A command the latest submission left out (-c test after training) keeps the log its last run shipped.
    if (args.command !== undefined && !task.commands.includes(args.command) && (await redis.exists(keys.log(task.id, args.command))) === 0) {
      throw new ExitError(`task ${task.name} has no command "${args.command}"; its commands: ${task.commands.join(', ')}`, 2);
    }
    const commands = args.command !== undefined ? [args.command] : task.commands;
    const printer = new LinePrinter(args.json, args.follow);
    const lastIds = new Map<string, string>();
    let any = false;
    for (const command of commands) {
      const key = keys.log(task.id, command);
      if ((await redis.exists(key)) === 0) continue;
      any = true;
      lastIds.set(command, await printExisting(redis, key, command, tail, printer));
    }
    const state = stateText(task.name, task.state, task.reason);
    if (!any) {
      // Following a task that has not started would print nothing for as long as it waits: say so first.
      // Running with no stream: its command has printed nothing yet, or -c names a later one.
      const following = task.state === 'running' ? `${state}; following its log` : `${state}; following its log once it starts`;
      printer.note(args.follow ? following : `${state}; no log lines yet`);
      if (!args.follow) return;
    } else if (task.state === 'waiting') {
      // Queued again (a retry, a forced resubmission): what was printed, ending well or not, is not of the run it waits for.
      printer.note(`${state}; ${args.follow ? 'following its log once it starts (the lines above are of its earlier runs)' : 'the lines above are of its earlier runs'}`);
    }
    // The line a command is still redrawing, read after its lines (so not one that has ended since); followers poll it.
    if (any && !args.follow && tail !== 0) {
      const { partials } = await readLogsState(redis, keys, task.id, commands.map((c) => keys.log(task.id, c)));
      partials.forEach((partial, i) => printer.partial(commands[i]!, partial));
    }
    const ended = args.follow ? await followStreams(redis, keys, task, commands, lastIds, printer) : undefined;
    printer.done();
    // Not an end the task reached: what became of it is not known here.
    if (ended === null) throw new ExitError(goneFromRedis(task.name), 1);
    const unstarted = await endedUnstarted(redis, keys, task, args.follow);
    if (unstarted) printer.note(any ? `${unstarted}: it did not start again; the lines above are of its earlier runs` : `${unstarted}: it did not start`);
    // A follower exits as `coord submit --wait` does, so `coord logs -f X && next` goes on only after a success.
    if (ended !== undefined && UNSUCCESSFUL_STATES.includes(ended as TaskState)) {
      // A line says how it ended (the log's own ending may be of a command -c left out), unless the note just printed did (notes are not printed with --json).
      const said = unstarted !== undefined && !args.json;
      const [reason] = said ? [] : await redis.hmget(keys.task(task.id), 'reason');
      throw new ExitError(said ? '' : endText(task.name, ended as TaskState, reason), 1);
    }
  } finally {
    redis.disconnect();
  }
}

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: 'logs <task>',
  describe: 'Print a task\'s log lines (shipped to Redis by its agent); -f follows them',
  builder: ((yargs: Argv) =>
    withRedisOptions(yargs)
      .positional('task', { type: 'string', demandOption: true, describe: 'task name, or a unique prefix of it' })
      .option('command', { alias: 'c', type: 'string', describe: 'only this command\'s log' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new lines until the task ends; exit 1 if it did not succeed' })
      .option('tail', { alias: 'n', type: 'string', requiresArg: true, describe: 'only the last N lines of each command' })
      .option('sweep', { type: 'string', describe: 'look for the task in this sweep (when names repeat)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line: {command, n, line}, with added: true on the lines coord logs adds; a line still being redrawn (a progress bar) as {command, partial: true, line}' })) as unknown as CommandModule<object, LogsArgs>['builder'],
  handler,
};
