/**
 * Why a new connection to a Redis server failed, when the client's own error cannot say:
 * - At its `maxclients`, Redis writes one error line and closes; ioredis then reports only
 *   EPIPE or "Connection is closed", and the line is lost. Over TLS Redis checks maxclients
 *   before the handshake, cannot send that line at all, and just closes.
 * - A `redis://` URL at a TLS port reads as a closed connection; a `rediss://` URL at a
 *   plain port as a TLS error (the server's answer is no TLS record) or as no answer (the
 *   server waits for the end of a line that the TLS greeting never sends).
 * A bare socket tells these apart: it reads what the server says to a new client before
 * anything is sent (nothing, normally; at `maxclients` over plain TCP, that line; over TLS,
 * a close), then sends PING, which a plain-text port answers and a TLS port closes on.
 */
import { connect } from 'node:net';
import type { RedisTarget } from './redis-url.js';

/** How ioredis reports a connection the server closed on us: a bare code ("EPIPE", from describeFailure) or a message ("write EPIPE", from BullMQ's workers). */
export function closedByServer(failureText: string): boolean {
  return /\b(EPIPE|ECONNRESET)$|connection (is )?closed/i.test(failureText);
}

/** A failure worth asking the server about: a closed connection, or over TLS a protocol error or no answer. */
export function worthProbing(failureText: string, tls: boolean): boolean {
  return closedByServer(failureText) || (tls && /^ERR_SSL_|\bETIMEDOUT$|^no answer in /.test(failureText));
}

/** What a bare TCP connection to the server saw. */
interface Probe {
  connected: boolean;
  /** The first line the server sent, before (`pinged` false) or after our PING. */
  said: string;
  pinged: boolean;
  /** The server closed the connection. */
  closed: boolean;
}

function probe(target: RedisTarget, quietMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    let connected = false;
    let received = '';
    let pinged = false;
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ connected, said: received.split('\r\n')[0]!, pinged, closed });
    };
    // Quiet for `quietMs`: PING once, then give up. Decided after the I/O already waiting
    // (setImmediate): a process busy past the wait (an agent starting up) must still read a
    // line that came in time.
    const quiet = () =>
      setImmediate(() => {
        if (received || pinged || !connected) return finish(false);
        pinged = true;
        socket.write('PING\r\n');
        timer = setTimeout(quiet, quietMs);
      });
    let timer = setTimeout(quiet, quietMs + 3000);
    socket.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(quiet, quietMs);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

const MAXCLIENTS_ADVICE = 'raise maxclients on the server, or stop clients it does not need (an agent with two GPUs and CPU slots holds seven)';

/** A RESP line: what a plain-text Redis port answers (`+PONG`, `-NOAUTH ...`, `-ERR ...`). */
const isRespLine = (line: string) => /^[+-]/.test(line);

/** What the probe says about a server that `target` could not use, in words with what to do; undefined when it says nothing new. */
function explainProbe(target: RedisTarget, seen: Probe): string | undefined {
  if (!seen.connected) return undefined;
  const { said, pinged, closed } = seen;
  if (target.tls) {
    if (isRespLine(said)) return `it answers in plain text on port ${target.port}, not TLS (it said: ${said.slice(1)}): use a redis:// URL, or the server's TLS port`;
    if (!pinged && closed) return `it closed the connection before the TLS handshake, as Redis does when it has as many clients as its maxclients allows (over TLS it cannot say so): ${MAXCLIENTS_ADVICE}`;
    return undefined;
  }
  if (!pinged && /max number of clients/i.test(said)) return `it has as many clients as its maxclients allows (${said.slice(1)}): ${MAXCLIENTS_ADVICE}`;
  if (!pinged && said.startsWith('-')) return `it refuses new connections (${said.slice(1)})`;
  if (pinged && closed && !isRespLine(said)) return `it does not answer in plain text on port ${target.port} (a TLS port?): use a rediss:// URL, with --tls-ca for a private CA`;
  if (!pinged && closed) return `it closes new connections before a word is said, as a Redis TLS port does when the server has as many clients as its maxclients allows: use a rediss:// URL for a TLS port, and ${MAXCLIENTS_ADVICE}`;
  return undefined;
}

/**
 * Why the server at `target` refused or could not serve a new connection, in words with what
 * to do, or undefined when a bare connection shows nothing wrong. Takes up to 2 x `quietMs`
 * against a server that stays silent.
 */
export async function refusalOnConnect(target: RedisTarget, quietMs = 1000): Promise<string | undefined> {
  return explainProbe(target, await probe(target, quietMs));
}

/**
 * For one server: `explain` adds the server's refusal to a failure worth probing (the first
 * such failure starts a probe; later ones carry its answer). It probes again at most every
 * 5 s, so an explanation does not outlive the refusal for long.
 */
export class ClosedConnectionExplainer {
  private refusal: string | undefined;
  private probedAt = -Infinity;
  private probing = false;

  constructor(private readonly target: RedisTarget) {}

  explain(failureText: string): string {
    if (!worthProbing(failureText, this.target.tls)) return failureText;
    if (!this.probing && Date.now() - this.probedAt > 5000) {
      this.probing = true;
      void refusalOnConnect(this.target).then((refusal) => {
        this.refusal = refusal;
        this.probedAt = Date.now();
        this.probing = false;
      });
    }
    return this.refusal ? `${failureText}: ${this.refusal}` : failureText;
  }
}
