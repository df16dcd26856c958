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
 */
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';

/** Longer lines are cut: a progress bar without newlines must not fill Redis. */
const MAX_LINE = 8192;
const CHUNK = 64 * 1024;

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
  private readonly buffer = Buffer.alloc(CHUNK);

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly path: string,
    private readonly maxLines: number,
    private readonly header: string,
    private readonly host: string,
    private readonly onLine: (line: string) => void = () => undefined,
  ) {}

  start(): void {
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

  private readNew(final: boolean): string[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    const chunks: string[] = [];
    for (;;) {
      const bytesRead = readSync(this.fd, this.buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      chunks.push(this.buffer.toString('utf8', 0, bytesRead));
    }
    const lines = (this.partial + chunks.join('')).split('\n');
    this.partial = final ? '' : lines.pop()!;
    if (final && lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) this.onLine(line);
    return lines.map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line));
  }

  /** Sends new lines; the first send also resets the stream's meta and writes the header. */
  private async flush(): Promise<void> {
    const lines = this.readNew(false);
    if (lines.length === 0 && this.started) return;
    const pipeline = this.redis.pipeline();
    this.queueLines(pipeline, lines, undefined);
    await pipeline.exec();
  }

  private queueLines(pipeline: ChainableCommander, lines: string[], ending: string | undefined): void {
    const meta = `${this.streamKey}:meta`;
    if (!this.started) {
      this.started = true;
      pipeline.hdel(meta, 'ended').hset(meta, 'host', this.host, 'path', this.path, 'started', Date.now());
      lines.unshift(this.header);
    }
    if (ending !== undefined) lines.push(ending);
    for (const line of lines) pipeline.xadd(this.streamKey, 'MAXLEN', '~', this.maxLines, '*', 'line', line);
    // All lines ever shipped (over attempts); the stream's length says how many are kept.
    pipeline.hincrby(meta, 'lines', lines.length);
    if (ending !== undefined) pipeline.hset(meta, 'ended', Date.now());
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
    let lines: string[];
    try {
      lines = this.readNew(true);
    } catch {
      lines = ['(the rest of the log could not be read on the agent)'];
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return (pipeline) => this.queueLines(pipeline, lines, ending);
  }
}
