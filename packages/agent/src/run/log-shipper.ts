/**
 * Ships a command's log file line by line to a capped Redis stream, so `coord logs -f`
 * works from any machine. It reads the file the executor writes (the command never waits
 * for us), wakes on file changes and at least every 250 ms, counts the lines in the stream's
 * meta hash so a reader can tell how many older ones the cap dropped, and hands every line to
 * `onLine` (metrics are read from them, so no log is read twice). A short command costs one
 * pipeline and no file watch: nothing happens before the first 250 ms, and the header, the
 * lines and the ending go together.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Redis } from 'ioredis';

/** Longer lines are cut: a progress bar without newlines must not fill Redis. */
const MAX_LINE = 8192;

export class LogShipper {
  private handle: FileHandle | undefined;
  private position = 0;
  private partial = '';
  private started = false;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;

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
    this.reading = this.reading.then(async () => {
      this.pending = false;
      await this.flush(false, undefined).catch(() => undefined);
    });
  }

  private async readNew(final: boolean): Promise<string[]> {
    this.handle ??= await open(this.path, 'r').catch(() => undefined);
    if (!this.handle) return [];
    const chunks: string[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      chunks.push(buffer.subarray(0, bytesRead).toString('utf8'));
    }
    const lines = (this.partial + chunks.join('')).split('\n');
    this.partial = final ? '' : lines.pop()!;
    if (final && lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) this.onLine(line);
    return lines.map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line));
  }

  /** Sends new lines; the first send also resets the stream's meta and writes the header. */
  private async flush(final: boolean, ending: string | undefined): Promise<void> {
    const lines = await this.readNew(final);
    if (lines.length === 0 && this.started && ending === undefined) return;
    const meta = `${this.streamKey}:meta`;
    const pipeline = this.redis.pipeline();
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
    await pipeline.exec();
  }

  /** Ships what is left with the ending line, and marks the stream as ended. */
  async stop(ending: string): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.reading;
    await this.flush(true, ending).catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}
