/**
 * A task's log lines over server-sent events, as `coord logs -f` reads them: each command's
 * capped stream (keys.log) with its `:meta` hash (host, path, lines shipped, ended), then
 * XREAD on a connection of its own until the task is final and its streams have ended.
 * Each batch carries the stream positions as its event id, so a reconnecting EventSource
 * (Last-Event-ID) continues where it was instead of starting over. A line still being redrawn
 * (a progress bar) comes as a `partial` event whenever it changes, '' once it is gone. Where
 * an attempt ended without a report, the lines carry coord logs' line saying so (UnreportedEnds).
 */
import type { RedisKeys, TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { goneFromRedis, readLogsState } from '../distributed/logs-state.js';
import { UnreportedEnds } from '../distributed/unreported-ends.js';
import type { EventStream } from './event-stream.js';

type StreamEntry = [id: string, fields: string[]];

export interface LogMeta {
  command: string;
  host: string | null;
  path: string | null;
  /** Lines the agent shipped that the capped stream no longer holds. */
  dropped: number;
}

export interface LogLines {
  command: string;
  lines: string[];
}

export interface LogPartial {
  command: string;
  line: string;
}

const BATCH = 1000;
/** How often the follower looks for new lines, and for a changed unfinished line. */
const BLOCK_MS = 500;

function lineOf(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'line') return fields[i + 1]!;
  return '';
}

export function encodePositions(positions: Map<string, string>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(positions))).toString('base64url');
}

export function decodePositions(text: string | undefined): Map<string, string> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!value || typeof value !== 'object') return undefined;
    return new Map(Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return undefined;
  }
}

export async function followLog(redis: Redis, keys: RedisKeys, task: TaskRecord, stream: EventStream, resume?: Map<string, string>): Promise<void> {
  const commands = task.commands;
  const streamKeys = commands.map((command) => keys.log(task.id, command));
  const positions = new Map(resume ?? []);
  /** Per command described, its meta's `started` then: a new shipper (another agent took the task over) writes another host and path. */
  const described = new Map<string, string | null>();
  /** The unfinished line last sent per command; none yet, so the first look sends each (a reconnecting page may show an old one). */
  const partials = new Map<string, string>();
  const unreportedEnds = new UnreportedEnds();
  /** A line as the page shows it: after the line an attempt whose end went unreported lacks, if it does. */
  const shown = (command: string, text: string) => {
    const end = unreportedEnds.before(command, text);
    return end === undefined ? [text] : [end, text];
  };

  /** Sends where the command's log file is, once, and again with `anew` (its file moved to another agent). */
  const describe = async (command: string, key: string, anew = false) => {
    if (described.has(command) && !anew) return;
    const [meta, kept] = await Promise.all([redis.hgetall(`${key}:meta`), redis.xlen(key)]);
    described.set(command, meta.started ?? null);
    const shipped = Number(meta.lines ?? kept);
    stream.send('meta', { command, host: meta.host ?? null, path: meta.path ?? null, dropped: Math.max(0, shipped - kept) } satisfies LogMeta);
  };
  const send = (command: string, entries: StreamEntry[]) => {
    for (let start = 0; start < entries.length; start += BATCH) {
      const batch = entries.slice(start, start + BATCH);
      positions.set(command, batch[batch.length - 1]![0]);
      // The page drops the line the command was redrawing when its next lines come; the next look sends it again if it is still there.
      partials.delete(command);
      stream.send('lines', { command, lines: batch.flatMap(([, fields]) => shown(command, lineOf(fields))) } satisfies LogLines, encodePositions(positions));
    }
  };

  if (!resume) {
    for (const [i, command] of commands.entries()) {
      const key = streamKeys[i]!;
      if ((await redis.exists(key)) === 0) continue;
      await describe(command, key);
      send(command, (await redis.xrange(key, '-', '+')) as StreamEntry[]);
      positions.set(command, positions.get(command) ?? '0');
    }
  } else {
    for (const [i, command] of commands.entries()) {
      if (!positions.has(command)) continue;
      await describe(command, streamKeys[i]!);
      // Where the page's lines stop: whether an attempt was under way there.
      const [last] = (await redis.xrange(streamKeys[i]!, positions.get(command)!, positions.get(command)!)) as StreamEntry[];
      if (last) unreportedEnds.resumeAfter(command, lineOf(last[1]));
    }
  }

  const reader = redis.duplicate();
  reader.on('error', () => undefined);
  stream.onClose(() => reader.disconnect());
  try {
    while (!stream.closed) {
      const result = (await reader.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', ...streamKeys, ...commands.map((c) => positions.get(c) ?? '0'))) as
        | Array<[string, StreamEntry[]]>
        | null;
      if (stream.closed) return;
      for (const [key, entries] of result ?? []) {
        const command = commands[streamKeys.indexOf(key)]!;
        await describe(command, key);
        send(command, entries);
      }
      const logs = await readLogsState(redis, keys, task.id, streamKeys);
      for (const [i, started] of logs.shipperStarts.entries()) {
        const command = commands[i]!;
        if (described.has(command) && described.get(command) !== started) await describe(command, streamKeys[i]!, true);
      }
      for (const [i, line] of logs.partials.entries()) {
        const command = commands[i]!;
        if (partials.get(command) === line) continue;
        partials.set(command, line);
        stream.send('partial', { command, line } satisfies LogPartial);
      }
      if (result) continue;
      // Nothing new for a while: stop once the task is final and every stream it wrote has ended (or never will).
      if (logs.done(commands.map((c) => positions.has(c)))) {
        // A task Redis lost has no state to show: the page says why its log stopped.
        stream.send('end', logs.state === null ? { state: null, note: goneFromRedis(task.name) } : { state: logs.state });
        stream.end();
        return;
      }
    }
  } catch (error) {
    // The browser left (the reader was disconnected under XREAD) or Redis failed.
    if (!stream.closed) {
      stream.send('problem', { error: (error as Error).message });
      stream.end();
    }
  } finally {
    reader.disconnect();
  }
}
