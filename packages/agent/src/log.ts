/** Operator logs: JSON lines (pino) or a readable one-line form on a terminal. */
import { clockTime, parseJsonOr } from '@sweep-runner/shared';
import { pino, type Logger } from 'pino';

export type LogFormat = 'pretty' | 'json';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** `12:03:04 INFO  message key=value ...` */
function prettyLine(line: string): string {
  const record = parseJsonOr<Record<string, unknown> | undefined>(line, undefined);
  if (!record) return line;
  const { level, time, msg, pid: _pid, hostname: _hostname, ...rest } = record;
  const when = clockTime(Number(time));
  const extra = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${when} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`;
}

export function createLogger(format: LogFormat, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  if (format === 'json') {
    // Lines go out in batches (at 4 KiB, or 250 ms after a batch's first line): a write per
    // line, on libuv's threads, cost a busy agent three system calls per task. Warnings and
    // errors go out at once, and pino writes what is left when we exit.
    const destination = pino.destination({ fd: 2, sync: false, minLength: 4096 });
    // Armed by the first line of a batch, so an idle agent has no timer to wake for.
    let flushTimer: NodeJS.Timeout | undefined;
    let flushAgain = false;
    const flush = () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      destination.flush();
      // sonic-boom drops a flush that comes while a write is under way, and what was logged
      // since would wait for 4 KiB more (a warning, then a quiet agent: for good): flush once
      // more when that write ends.
      if (!flushAgain) {
        flushAgain = true;
        destination.once('drain', () => {
          flushAgain = false;
          destination.flush();
        });
      }
    };
    const hooks = {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info'], level: number) {
        method.apply(this, args);
        if (level >= pino.levels.values.warn!) flush();
        else flushTimer ??= setTimeout(flush, 250).unref();
      },
    };
    return pino({ level, base: { pid: process.pid }, hooks }, destination);
  }
  return pino({ level, base: undefined }, { write: (line: string) => process.stderr.write(prettyLine(line)) });
}

/**
 * Exits once the log lines still buffered are written. Left to pino, they would be written at
 * exit by sonic-boom's flushSync, which retries a failed write every 100 ms without end: with
 * the reader of our stderr gone (`agent ... | tee agent.log`, then Ctrl-C), the agent would
 * hang instead of exiting. A flush first lets pino see the broken pipe (it then drops the rest).
 */
export function exitAfterLogs(log: Logger, code: number): void {
  const exit = () => process.exit(code);
  // A reader that is there but does not read must not hold the exit either.
  setTimeout(exit, 2000);
  log.flush(exit);
}

export type { Logger };
