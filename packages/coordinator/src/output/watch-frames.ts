/**
 * Follows a view that changes by reading it again and again, as `watch` would. On a terminal
 * the frame is redrawn in place every interval; off one (a log file, a pipe) a frame is
 * printed only when what it shows has changed, so an afternoon of watching stays readable.
 */
import { clockTime } from '@sweep-runner/shared';

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
  /**
   * Where notes about Redis go ("no answer since ..."): into the frame, or, for output a
   * program parses (JSON lines), to this other stream.
   */
  notes?: WatchOutput;
  /** An error that retrying cannot fix (a denied permission): thrown, ending the watch. */
  isPermanent?: (error: unknown) => boolean;
  /** Stops the watch (tests; Ctrl-C otherwise ends the process). */
  signal?: AbortSignal;
  /** Said when a read has taken this long (Redis gone): the watch goes on waiting for it. */
  slowReadMs?: number;
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Resolves after `ms`, or at once when `signal` aborts; `cancel` clears the timer. */
function delay(ms: number, signal?: AbortSignal): { done: Promise<void>; cancel: () => void } {
  let cancel = () => undefined as void;
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
    cancel = finish;
  });
  return { done, cancel };
}

export async function watchFrames(read: () => Promise<Frame>, out: WatchOutput, options: WatchOptions): Promise<void> {
  const slowReadMs = options.slowReadMs ?? 5000;
  let lastKey: string | undefined;
  let lastNote: string | undefined;
  let lastFrame: Frame = { lines: [], key: '' };
  const show = (frame: Frame, note?: string) => {
    if (note !== undefined && options.notes && !out.isTTY) {
      // The frame is unchanged: only the note is news, said once.
      if (note !== lastNote) options.notes.write(`${note}\n`);
      lastNote = note;
      return;
    }
    const lines = note ? [...frame.lines, '', note] : frame.lines;
    if (out.isTTY) {
      out.write(`${CLEAR_SCREEN}${clockTime()}  every ${options.everyMs / 1000}s, Ctrl-C to stop\n\n${lines.join('\n')}\n`);
      return;
    }
    const key = note ? `${frame.key}\n${note}` : frame.key;
    if (key === lastKey) return;
    lastKey = key;
    out.write(`${options.stamp ? `--- ${clockTime()} ---\n` : ''}${lines.join('\n')}\n`);
  };
  const aborted = new Promise<undefined>((resolve) => options.signal?.addEventListener('abort', () => resolve(undefined), { once: true }));
  while (!options.signal?.aborted) {
    const startedAt = clockTime();
    const reading = read().then(
      (frame) => ({ frame }),
      (error: unknown) => {
        if (options.isPermanent?.(error)) throw error;
        return { error: error instanceof Error ? error.message : String(error) };
      },
    );
    const slow = delay(slowReadMs, options.signal);
    let result = await Promise.race([reading, slow.done.then(() => undefined)]);
    slow.cancel();
    if (result === undefined) {
      if (options.signal?.aborted) return;
      show(lastFrame, `(no answer from Redis since ${startedAt}; still trying)`);
      result = await Promise.race([reading, aborted]);
      if (result === undefined) return;
    }
    if ('frame' in result) {
      lastFrame = result.frame;
      lastNote = undefined;
      show(lastFrame);
    } else {
      show(lastFrame, `(cannot read: ${result.error}; trying again)`);
    }
    await delay(options.everyMs, options.signal).done;
  }
}
