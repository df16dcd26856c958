/** A server-sent events response: typed events out, a keep-alive comment, and a close hook. */
import type { Request, Response } from 'express';

export interface EventStream {
  send(event: string, data: unknown, id?: string): void;
  /** Ends the response; the client's EventSource should not reconnect (it gets an `end` event first). */
  end(): void;
  readonly closed: boolean;
  /** Runs when the client goes away or end() is called. */
  onClose(callback: () => void): void;
}

/** Proxies drop connections that stay silent; a comment line every 15 s keeps them open. */
const KEEP_ALIVE_MS = 15_000;

export function openEventStream(req: Request, res: Response): EventStream {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  // Reconnect after 2 s when the connection breaks (the default is 3 s).
  res.write('retry: 2000\n\n');
  const callbacks: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    for (const callback of callbacks.splice(0)) callback();
  };
  const timer = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  req.on('close', close);
  res.on('close', close);
  return {
    send(event, data, id) {
      if (closed) return;
      res.write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!closed) res.end();
      close();
    },
    get closed() {
      return closed;
    },
    onClose(callback) {
      if (closed) callback();
      else callbacks.push(callback);
    },
  };
}
