/** Output for people: colour only on a TTY and without NO_COLOR; a status line redrawn in place. */

export interface Terminal {
  readonly isTTY: boolean;
  /** The width tables fit in: the terminal's, or no limit off a terminal. */
  readonly columns: number;
  color(name: keyof typeof CODES, text: string): string;
  /** A line of output (above the status line, if any). */
  line(text: string): void;
  /** The line kept at the bottom and redrawn (only on a TTY). */
  status(text: string): void;
  clearStatus(): void;
  /** A problem or warning, on stderr. */
  error(text: string): void;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

export interface TerminalOptions {
  /**
   * When stdout is not a terminal (a pipe, a file), send lines in batches: at 16 KiB, 100 ms
   * after the first line of a batch, before anything goes to stderr, and at exit. A sweep of
   * short tasks prints two lines per task, and a write per line wakes the reader each time.
   */
  batch?: boolean;
}

const BATCH_BYTES = 16 * 1024;
const BATCH_MS = 100;

export function createTerminal(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr, options: TerminalOptions = {}): Terminal {
  const isTTY = Boolean(stdout.isTTY);
  const useColor = isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  const write: Writer = options.batch && !isTTY ? batchedWriter(stdout) : (text: string) => void stdout.write(text);
  let statusText = '';
  const clear = () => {
    if (statusText && isTTY) stdout.write('\r\x1b[2K');
  };
  const redraw = () => {
    if (statusText && isTTY) stdout.write(statusText.slice(0, Math.max(10, (stdout.columns || 80) - 1)));
  };
  return {
    isTTY,
    // Off a terminal (a pipe to grep, a file) nothing is cut: the lines are read whole.
    get columns() {
      return isTTY ? stdout.columns || 100 : Infinity;
    },
    color: (name, text) => (useColor ? `\x1b[${CODES[name]}m${text}\x1b[0m` : text),
    line(text) {
      clear();
      write(`${text}\n`);
      redraw();
    },
    status(text) {
      if (!isTTY) return;
      clear();
      statusText = text;
      redraw();
    },
    clearStatus() {
      clear();
      statusText = '';
    },
    error(text) {
      // Held lines came first: they go out before the message.
      write.flush?.();
      clear();
      stderr.write(`${text}\n`);
      redraw();
    },
  };
}

type Writer = ((text: string) => void) & { flush?: () => void };

function batchedWriter(stream: NodeJS.WriteStream): Writer {
  let pending: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    bytes = 0;
    stream.write(text);
  };
  // Pipes and files take synchronous writes on exit, so nothing printed is lost.
  process.once('exit', flush);
  const write: Writer = (text) => {
    pending.push(text);
    bytes += text.length;
    if (bytes >= BATCH_BYTES) return flush();
    // Unref'd: a pending batch must not keep the process alive; the exit hook sends it.
    timer ??= setTimeout(flush, BATCH_MS).unref();
  };
  write.flush = flush;
  return write;
}

/** `[#######.......] 7/20` */
export function progressBar(done: number, total: number, width = 24): string {
  // Nothing to do is not all done: a sweep whose tasks moved to later sweeps shows an empty bar.
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
