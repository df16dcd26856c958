/**
 * Why a Redis server closed a new connection at once. At its `maxclients` it writes one error
 * line and closes, and ioredis then reports only EPIPE or "Connection is closed": the line
 * is lost. When a connection failed that way, a bare socket reads what the server says to a
 * new client before anything is sent: nothing, normally; at `maxclients`, that line.
 * Plain TCP only: over TLS Redis checks maxclients before the handshake and sends nothing.
 */
import { connect } from 'node:net';
import type { RedisTarget } from './redis-url.js';

/** How ioredis reports a connection the server closed on us: a bare code ("EPIPE", from describeFailure) or a message ("write EPIPE", from BullMQ's workers). */
export function closedByServer(failureText: string): boolean {
  return /\b(EPIPE|ECONNRESET)$|connection (is )?closed/i.test(failureText);
}

/**
 * The server's refusal of a new connection in words with what to do, or undefined when it has
 * none. A server that accepts says nothing; we wait `quietMs` after connecting to be sure.
 */
export function refusalOnConnect(target: RedisTarget, quietMs = 1000): Promise<string | undefined> {
  if (target.tls) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let said = '';
    const socket = connect({ host: target.host, port: target.port });
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const line = said.split('\r\n')[0]!;
      if (/max number of clients/i.test(line)) {
        resolve(`it has as many clients as its maxclients allows (${line.slice(1)}): raise maxclients on the server, or stop clients it does not need (an agent with two GPUs and CPU slots holds seven)`);
      } else resolve(line.startsWith('-') ? `it refuses new connections (${line.slice(1)})` : undefined);
    };
    // Decided after the I/O already waiting (setImmediate): a process busy past the wait (an
    // agent starting up) must still read a line that came in time.
    const decide = () => setImmediate(done);
    let timer = setTimeout(decide, quietMs + 3000);
    socket.on('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(decide, quietMs);
    });
    socket.on('data', (chunk: Buffer) => (said += chunk.toString('latin1')));
    socket.on('close', done);
    socket.on('error', done);
  });
}

/**
 * For one server: `explain` adds the server's refusal to a failure that reads as a closed
 * connection (the first such failure starts a probe; later ones carry its answer). It probes
 * again at most every 5 s, so an explanation does not outlive the refusal for long.
 */
export class ClosedConnectionExplainer {
  private refusal: string | undefined;
  private probedAt = -Infinity;
  private probing = false;

  constructor(private readonly target: RedisTarget) {}

  explain(failureText: string): string {
    if (!closedByServer(failureText)) return failureText;
    if (!this.probing && Date.now() - this.probedAt > 5000) {
      this.probing = true;
      void refusalOnConnect(this.target).then((refusal) => {
        this.refusal = refusal;
        this.probedAt = Date.now();
        this.probing = false;
      });
    }
    return this.refusal ? `${failureText}: Redis closed the connection, ${this.refusal}` : failureText;
  }
}
