/** Output for people: colour only on a TTY and without NO_COLOR; a status line redrawn in place. */

export interface Terminal {
  readonly isTTY: boolean;
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

export function createTerminal(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Terminal {
  const isTTY = Boolean(stdout.isTTY);
  const useColor = isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  let statusText = '';
  const clear = () => {
    if (statusText && isTTY) stdout.write('\r\x1b[2K');
  };
  const redraw = () => {
    if (statusText && isTTY) stdout.write(statusText.slice(0, Math.max(10, (stdout.columns || 80) - 1)));
  };
  return {
    isTTY,
    get columns() {
      return stdout.columns || 100;
    },
    color: (name, text) => (useColor ? `\x1b[${CODES[name]}m${text}\x1b[0m` : text),
    line(text) {
      clear();
      stdout.write(`${text}\n`);
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
      clear();
      stderr.write(`${text}\n`);
      redraw();
    },
  };
}

/** `[#######.......] 7/20` */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
