/**
 * Follows a view that changes by reading it again and again, as `watch` would. On a terminal
 * the frame is redrawn in place every interval; off one (a log file, a pipe) a frame is
 * printed only when what it shows has changed, so an afternoon of watching stays readable.
 */

export interface Frame {
  lines: string[];
  /** What must differ for a new frame to be printed off a terminal: clocks and ages left out. */
  key: string;
}

export interface WatchOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface WatchOptions {
  everyMs: number;
  /** Off a terminal, a line with the time above each frame (not for JSON lines). */
  stamp: boolean;
  /** Stops the watch (tests; Ctrl-C otherwise ends the process). */
  signal?: AbortSignal;
  /** Said when a read has taken this long (Redis gone): the watch goes on waiting for it. */
  slowReadMs?: number;
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

function clock(date = new Date()): string {
  return date.toTimeString().slice(0, 8);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function watchFrames(read: () => Promise<Frame>, out: WatchOutput, options: WatchOptions): Promise<void> {
  const slowReadMs = options.slowReadMs ?? 5000;
  let lastKey: string | undefined;
  let lastFrame: Frame = { lines: [], key: '' };
  const show = (frame: Frame, note?: string) => {
    const lines = note ? [...frame.lines, '', note] : frame.lines;
    if (out.isTTY) {
      out.write(`${CLEAR_SCREEN}${clock()}  every ${options.everyMs / 1000}s, Ctrl-C to stop\n\n${lines.join('\n')}\n`);
      return;
    }
    const key = note ? `${frame.key}\n${note}` : frame.key;
    if (key === lastKey) return;
    lastKey = key;
    out.write(`${options.stamp ? `--- ${clock()} ---\n` : ''}${lines.join('\n')}\n`);
  };
  while (!options.signal?.aborted) {
    const startedAt = clock();
    const reading = read().then(
      (frame) => ({ frame }),
      (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
    );
    let result = await Promise.race([reading, sleep(slowReadMs, options.signal).then(() => undefined)]);
    if (result === undefined) {
      if (options.signal?.aborted) return;
      show(lastFrame, `(no answer from Redis since ${startedAt}; still trying)`);
      result = await reading;
    }
    if ('frame' in result) {
      lastFrame = result.frame;
      show(lastFrame);
    } else {
      show(lastFrame, `(cannot read: ${result.error}; trying again)`);
    }
    await sleep(options.everyMs, options.signal);
  }
}
