/**
 * Ships a command's log file line by line to a capped Redis stream, so `coord logs -f`
 * works from any machine. It reads the file the executor writes (the command never waits
 * for us), wakes on file changes and at least every 250 ms, counts the lines in the stream's
 * meta hash so a reader can tell how many older ones the cap dropped, and hands every line to
 * `onLine` (metrics are read from them, so no log is read twice). A short command costs one
 * pipeline and no file watch: nothing happens before the first 250 ms, and the header, the
 * lines, the ending and the command's record go together, in the caller's pipeline (see
 * `end`; a task's last command goes with the task's end). Reads are synchronous and bounded
 * (what was appended since the last read), cheaper than thread-pool round trips.
 *
 * A line still being redrawn (a progress bar writes `\r` and no newline for a whole epoch)
 * would show nowhere until it ends: its last redraw goes to the meta hash's `partial` field
 * instead, at most every `PARTIAL_EVERY_MS`, and is cleared when the line or the command ends.
 */
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { firstChars, lastChars, shownText, taskScripts } from '@sweep-runner/shared';
import type { ChainableCommander, Redis } from 'ioredis';

/** Longer lines are cut: a progress bar without newlines must not fill Redis. */
const MAX_LINE = 8192;
/** A line still growing past this (carriage returns, no newline) is taken as it is. */
const MAX_PARTIAL = 1024 * 1024;
const CHUNK = 64 * 1024;
/** A progress bar redraws many times a second; readers see its latest redraw this often. */
const PARTIAL_EVERY_MS = 500;
/**
 * One read buffer for every shipper of the process: a read and the decoding of what it read
 * happen in one synchronous step, so no two shippers ever use it at once, and a command does
 * not cost a zeroed 64 KiB of its own (1600 of them per wave with many agents in one process).
 */
const readBuffer = Buffer.allocUnsafe(CHUNK);
const PROCESS_ID = randomBytes(4).toString('hex');
let shippers = 0;

/** New lines read from the log: every one counted, only the last `maxLines` kept to send. */
interface ReadLines {
  lines: string[];
  count: number;
}

/** A line too long to keep whole: its start, or what a terminal shows of a progress bar's (its last redraw). */
function shownCut(line: string): string {
  const shown = line.includes('\r') ? shownText(line) : line;
  return shown.length > MAX_LINE ? `${firstChars(shown, MAX_LINE)}…` : shown;
}

/**
 * The line still being written, as a terminal shows it now: its last redraw, or the end of a
 * line that grows with no carriage return. Only its last characters are looked at: it may be
 * a megabyte of redraws by now, and this runs every 250 ms.
 */
function shownPartial(partial: string): string {
  const shown = shownText(lastChars(partial, 4 * MAX_LINE));
  return shown.length > MAX_LINE ? `…${lastChars(shown, MAX_LINE)}` : shown;
}

/**
 * Stands in the stream for the lines a burst had more of than the stream keeps. Its `--- ---`
 * form marks it as the agent's, not the command's (isAgentLine).
 */
export function gapLine(unshipped: number, maxLines: number, host: string, path: string): string {
  return `--- ${unshipped} lines not shipped here: more came at once than the agent's --log-lines (${maxLines}); the whole log is in ${host}:${path} ---`;
}

export class LogShipper {
  private fd: number | undefined;
  private position = 0;
  private partial = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;
  private started = false;
  /** Keeps a character split across two reads whole. */
  private readonly decoder = new StringDecoder('utf8');
  /** Unique among every shipper that may write the stream (other attempts, other agents). */
  private readonly id = `${PROCESS_ID}.${++shippers}`;
  private batches = 0;
  /** The unfinished line's redraw readers were last sent, and when. */
  private sentPartial = '';
  /** Whether this shipper ever set the meta's `partial` (only then does its end clear it). */
  private setPartial = false;
  private partialSentAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly path: string,
    private readonly maxLines: number,
    private readonly header: string,
    private readonly host: string,
    private readonly onLine: (line: string) => void = () => undefined,
  ) {}

  /** Ships what the log gets from byte `from` on (what an earlier run wrote before it is not this run's). */
  start(from = 0): void {
    this.position = from;
    this.timer = setInterval(() => {
      if (!this.watcher && !this.stopped) this.watch();
      this.poke();
    }, 250);
    this.timer.unref();
  }

  /** A command that outlives the first tick gets a file watch, for lines within milliseconds. */
  private watch(): void {
    try {
      this.watcher = watch(this.path, () => this.poke());
      this.watcher.on('error', () => undefined);
    } catch {
      // Without inotify the timer still ships the lines.
    }
  }

  private poke(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    this.flushing = this.flushing.then(async () => {
      this.pending = false;
      await this.flush().catch(() => undefined);
    });
  }

  /**
   * Reads what was appended, a chunk at a time: every line goes to `onLine`, but only the
   * stream's last `maxLines` can be kept in Redis, so no more are held (a command that
   * prints millions of lines in a second must not fill the agent's memory).
   */
  private readNew(final: boolean): ReadLines {
    const read: ReadLines = { lines: [], count: 0 };
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return read;
      }
    }
    const take = (line: string) => {
      this.onLine(line);
      read.count++;
      read.lines.push(line.length > MAX_LINE ? shownCut(line) : line);
      if (read.lines.length >= 2 * this.maxLines) read.lines.splice(0, read.lines.length - this.maxLines);
    };
    for (;;) {
      const bytesRead = readSync(this.fd, readBuffer, 0, CHUNK, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      const parts = (this.partial + this.decoder.write(readBuffer.subarray(0, bytesRead))).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) take(line);
      if (this.partial.length > MAX_PARTIAL) {
        take(this.partial);
        this.partial = '';
      }
    }
    if (final) {
      const rest = this.partial + this.decoder.end();
      if (rest !== '') take(rest);
      this.partial = '';
    }
    if (read.lines.length > this.maxLines) read.lines.splice(0, read.lines.length - this.maxLines);
    return read;
  }

  /**
   * Sends new lines; the first send also resets the stream's meta and writes the header. The
   * unfinished line's redraw goes along when it changed, and alone no more than every
   * PARTIAL_EVERY_MS (the 250 ms timer sends the last one that waited).
   */
  private async flush(): Promise<void> {
    const read = this.readNew(false);
    const partial = shownPartial(this.partial);
    const now = Date.now();
    const partialDue = partial !== this.sentPartial && (read.count > 0 || now - this.partialSentAt >= PARTIAL_EVERY_MS);
    if (read.count === 0 && this.started && !partialDue) return;
    const pipeline = this.redis.pipeline();
    this.queueLines(pipeline, read, undefined, partialDue ? partial : undefined);
    if (partialDue) {
      if (partial !== '') this.setPartial = true;
      this.sentPartial = partial;
      this.partialSentAt = now;
    }
    await pipeline.exec();
  }

  /** One batch, one script call: sent again after a lost answer, it is not stored twice. */
  private queueLines(pipeline: ChainableCommander, read: ReadLines, ending: string | undefined, partial?: string): void {
    const lines = [...read.lines];
    // All lines ever written (over attempts), sent or not; the stream's length says how many are kept.
    let count = read.count;
    // More lines at once than the stream keeps: only the newest were held. A follower reading
    // live is told where lines are missing, and the stream keeps exactly the gap's line and
    // what follows it (`keep`): older lines would run on across the gap as if none were
    // missing, and a first batch's heading would take a line number that is not its own.
    const unshipped = read.count - read.lines.length;
    let keep: number | undefined;
    if (unshipped > 0) {
      lines.unshift(gapLine(unshipped, this.maxLines, this.host, this.path));
      count++;
      keep = lines.length + (ending === undefined ? 0 : 1);
    }
    const first = this.started ? undefined : { host: this.host, path: this.path, startedAt: Date.now() };
    if (first) {
      this.started = true;
      lines.unshift(this.header);
      count++;
    }
    if (ending !== undefined) {
      lines.push(ending);
      count++;
    }
    taskScripts.shipLog(pipeline, this.streamKey, {
      shipper: this.id,
      batch: ++this.batches,
      maxLines: this.maxLines,
      count,
      ...(first && { first }),
      ...(ending !== undefined && { endedAt: Date.now() }),
      ...(partial !== undefined && { partial }),
      ...(keep !== undefined && { keep }),
      lines,
    });
  }

  /**
   * Stops watching and reads what is left (so `onLine` has seen every line), but sends
   * nothing: the returned function queues the rest, the ending line and the end mark on the
   * caller's pipeline, which carries the task's end in the same round trip.
   */
  async end(ending: string): Promise<(pipeline: ChainableCommander) => void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    let read: ReadLines;
    try {
      read = this.readNew(true);
    } catch {
      read = { lines: ['(the rest of the log could not be read on the agent)'], count: 1 };
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    // A command that never drew a bar (most) costs its end no write for one.
    return (pipeline) => this.queueLines(pipeline, read, ending, this.setPartial ? '' : undefined);
  }
}
