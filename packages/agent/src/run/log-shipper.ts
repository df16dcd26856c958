/**
 * Ships a command's log file line by line to a capped Redis stream, so `coord logs -f`
 * works from any machine. It reads the file the executor writes (the command never waits
 * for us), wakes on file changes and at least every 250 ms, numbers the lines so a reader
 * can tell how many older ones the cap dropped, and hands every line to `onLine` (metrics
 * are read from them, so no log is read twice). A short command costs one pipeline: nothing
 * is sent before the first read, and the header, the lines and the ending go together.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ChainableCommander, Redis } from 'ioredis';

/** Longer lines are cut: a progress bar without newlines must not fill Redis. */
const MAX_LINE = 8192;

export class LogShipper {
  private handle: FileHandle | undefined;
  private position = 0;
  private partial = '';
  private lineNumber: number | undefined;
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
    try {
      this.watcher = watch(this.path, () => this.poke());
      this.watcher.on('error', () => undefined);
    } catch {
      // Without inotify (or before the file exists) the timer below still ships the lines.
    }
    this.timer = setInterval(() => this.poke(), 250);
    this.timer.unref();
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
    if (lines.length === 0 && this.lineNumber !== undefined && ending === undefined) return;
    const meta = `${this.streamKey}:meta`;
    const pipeline = this.redis.pipeline();
    if (this.lineNumber === undefined) {
      // Continue the numbering of an earlier attempt's lines.
      this.lineNumber = Number(await this.redis.hget(meta, 'lines')) || 0;
      pipeline.hdel(meta, 'ended').hset(meta, 'host', this.host, 'path', this.path, 'started', Date.now());
      this.add(pipeline, this.header);
    }
    for (const line of lines) this.add(pipeline, line);
    if (ending !== undefined) this.add(pipeline, ending);
    pipeline.hset(meta, 'lines', this.lineNumber);
    if (ending !== undefined) pipeline.hset(meta, 'ended', Date.now());
    await pipeline.exec();
  }

  private add(pipeline: ChainableCommander, line: string): void {
    this.lineNumber = (this.lineNumber ?? 0) + 1;
    pipeline.xadd(this.streamKey, 'MAXLEN', '~', this.maxLines, '*', 'n', this.lineNumber, 'line', line);
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
