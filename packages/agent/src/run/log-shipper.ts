/**
 * Ships a command's log file line by line to a capped Redis stream, so `coord logs -f`
 * works from any machine. It reads the file the executor writes (the command never waits
 * for us), wakes on file changes and at least every 250 ms, and numbers the lines so a
 * reader can tell how many older ones the cap dropped.
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
  private lineNumber = 0;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly path: string,
    private readonly maxLines: number,
    private readonly header: string,
    private readonly host: string,
  ) {}

  async start(): Promise<void> {
    const meta = `${this.streamKey}:meta`;
    const results = await this.redis
      .multi()
      .hdel(meta, 'ended')
      .hset(meta, 'host', this.host, 'path', this.path, 'started', Date.now())
      .hget(meta, 'lines')
      .exec();
    this.lineNumber = Number(results?.[2]?.[1]) || 0;
    await this.ship([this.header]);
    this.handle = await open(this.path, 'r');
    try {
      this.watcher = watch(this.path, () => this.poke());
      this.watcher.on('error', () => undefined);
    } catch {
      // Without inotify the timer below still ships the lines.
    }
    this.timer = setInterval(() => this.poke(), 250);
    this.timer.unref();
  }

  private poke(): void {
    if (this.pending) return;
    this.pending = true;
    this.reading = this.reading.then(async () => {
      this.pending = false;
      await this.readNew(false);
    });
  }

  private async readNew(final: boolean): Promise<void> {
    if (!this.handle) return;
    const chunks: string[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      chunks.push(buffer.subarray(0, bytesRead).toString('utf8'));
    }
    const text = this.partial + chunks.join('');
    const lines = text.split('\n');
    this.partial = final ? '' : lines.pop()!;
    if (final && lines[lines.length - 1] === '') lines.pop();
    await this.ship(lines.map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line)));
  }

  private async ship(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const line of lines) {
      this.lineNumber++;
      pipeline.xadd(this.streamKey, 'MAXLEN', '~', this.maxLines, '*', 'n', this.lineNumber, 'line', line);
    }
    pipeline.hset(`${this.streamKey}:meta`, 'lines', this.lineNumber);
    await pipeline.exec();
  }

  /** Ships what is left, then marks the stream as ended. */
  async stop(ending: string): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.reading;
    await this.readNew(true).catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
    await this.ship([ending]).catch(() => undefined);
    await this.redis.hset(`${this.streamKey}:meta`, 'ended', Date.now()).catch(() => undefined);
  }
}
