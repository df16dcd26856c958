/**
 * Why a new connection to a Redis server failed, when the client's own error cannot say:
 * - At its `maxclients`, Redis writes one error line and closes; ioredis then reports only
 *   EPIPE or "Connection is closed", and the line is lost. Over TLS Redis checks maxclients
 *   before the handshake, cannot send that line at all, and just closes.
 * - A `redis://` URL at a TLS port reads as a closed connection; a `rediss://` URL at a
 *   plain port as a TLS error (the server's answer is no TLS record) or as no answer (the
 *   server waits for the end of a line that the TLS greeting never sends).
 * - A URL at another service's port reads as a closed connection or a protocol error.
 * A bare socket tells these apart: it reads what the server says to a new client before
 * anything is sent (nothing, normally; at `maxclients` over plain TCP, that line; over TLS,
 * a close; a database its greeting), then sends PING, which a plain-text Redis answers. When
 * it gets no Redis answer, a TLS handshake tells a TLS port from another service.
 */
import { connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { RedisTarget } from './redis-url.js';

/** How ioredis reports a connection the server closed on us: a bare code ("EPIPE", from describeFailure) or a message ("write EPIPE", from BullMQ's workers). */
export function closedByServer(failureText: string): boolean {
  return /\b(EPIPE|ECONNRESET)$|connection (is )?closed/i.test(failureText);
}

/** A failure worth asking the server about: a closed connection, an answer that is not Redis's, or over TLS a protocol error or no answer. */
export function worthProbing(failureText: string, tls: boolean): boolean {
  return closedByServer(failureText) || /^not the Redis protocol/.test(failureText) || (tls && /^ERR_SSL_|\bETIMEDOUT$|^no answer in /.test(failureText));
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

/** PING as a RESP array, not inline: long enough that a service waiting for a fixed-size header (AMQP's 8 bytes) answers too. */
const PING = '*1\r\n$4\r\nPING\r\n';

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
        socket.write(PING);
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

/**
 * Redis's own DENIED line is a paragraph; in short, with the fix a sweep cluster wants (a
 * password, since agents on other machines must connect).
 */
export const PROTECTED_MODE =
  "it is in protected mode: with no password set it accepts connections from its own machine only; give it one (redis-server --requirepass PASSWORD, or requirepass in redis.conf) and put it in the URL (redis://:PASSWORD@host:port)";

/** How refusals of refusalOnConnect that no retry ends begin (a server at its maxclients, or another service on the port, may change). */
const FINAL_REFUSALS = [PROTECTED_MODE, 'it answers in plain text on port ', 'it speaks TLS on port '];

const MAXCLIENTS_ADVICE = 'raise maxclients on the server, or stop clients it does not need (an agent with two GPUs and CPU slots holds seven)';

/** A RESP line: what a plain-text Redis port answers (`+PONG`, `-NOAUTH ...`, `-ERR ...`). */
const isRespLine = (line: string) => /^[+-]/.test(line);

/** What another service said, readable: its longest run of printable text (a database's binary greeting holds its name and version). */
const printable = (said: string) => (said.match(/[\x20-\x7e]+/g) ?? []).reduce((longest, run) => (run.length > longest.length ? run : longest), '').trim().slice(0, 60);

/** A TLS alert record: a TLS port's answer to plain text, when it answers at all. */
const isTlsAlert = (said: string) => said.startsWith('\x15\x03');

/** Whether the port completes a TLS handshake (or refuses it with a TLS alert: a client certificate required). */
function speaksTls(target: RedisTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Only whether it speaks TLS, not whom: the real connection checks the certificate.
    const socket = tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false });
    const done = (tls: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(tls);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(/ALERT/.test(error.code ?? '')));
  });
}

/**
 * Whether a TLS server closes a connection that has no client certificate once it is made, as
 * Redis with `tls-auth-clients yes` does: under TLS 1.3 the client learns it only from the
 * alert on its first read, and a client that wrote first (ioredis) sees a bare ECONNRESET.
 */
export function requiresClientCertificate(target: RedisTarget, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    // Only whether it asks for a certificate: the real connection checks the server's.
    const socket = tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false, ...(isIP(target.host) === 0 && { servername: target.host }) });
    const done = (required: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(required);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => socket.write(PING));
    socket.once('data', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(/CERTIFICATE_REQUIRED/.test(error.code ?? '') || /certificate required/i.test(error.message)));
    socket.once('close', () => done(false));
  });
}

/**
 * Why the server at `target` refused or could not serve a new connection, in words with what
 * to do, or undefined when a bare connection shows nothing wrong. Takes up to 2 x `quietMs`
 * against a server that stays silent.
 */
export async function refusalOnConnect(target: RedisTarget, quietMs = 1000): Promise<string | undefined> {
  const { connected, said, pinged, closed } = await probe(target, quietMs);
  const port = target.port;
  if (!connected) return undefined;
  if (isRespLine(said)) {
    if (target.tls) return `it answers in plain text on port ${port}, not TLS (it said: ${said.slice(1)}): use a redis:// URL, or the server's TLS port`;
    if (pinged) return undefined;
    if (/^-DENIED .*protected mode/i.test(said)) return PROTECTED_MODE;
    if (/max number of clients/i.test(said)) return `it has as many clients as its maxclients allows (${said.slice(1)}): ${MAXCLIENTS_ADVICE}`;
    return `it refuses new connections (${said.slice(1)})`;
  }
  if (!pinged && closed && !said) {
    return target.tls
      ? `it closed the connection before the TLS handshake, as Redis does when it has as many clients as its maxclients allows (over TLS it cannot say so): ${MAXCLIENTS_ADVICE}`
      : `it closes new connections before a word is said, as a Redis TLS port does when the server has as many clients as its maxclients allows: use a rediss:// URL for a TLS port, and ${MAXCLIENTS_ADVICE}`;
  }
  // Plain text that is no Redis reply: another service, whatever the URL's scheme.
  if (said && !isTlsAlert(said)) return `it does not speak Redis's protocol on port ${port} (it said: "${printable(said)}"): check the port in the URL`;
  if (target.tls) return undefined;
  if (!closed) return undefined;
  if (await speaksTls(target, quietMs + 3000)) return `it speaks TLS on port ${port}: use a rediss:// URL, with --tls-ca for a private CA`;
  return `it closed the connection at a Redis PING: port ${port} is not a Redis server's; check the port in the URL`;
}

/**
 * For one server: `explain` gives the server's refusal for a failure worth probing (the first
 * such failure starts a probe; later ones get its answer). It probes again at most every
 * 5 s, so an explanation does not outlive the refusal for long.
 */
export class ClosedConnectionExplainer {
  private refusal: string | undefined;
  private probedAt = -Infinity;
  private probing = false;

  private readonly listeners = new Set<() => void>();

  constructor(private readonly target: RedisTarget) {}

  /** Calls `listener` after each probe (a final refusal need not wait for the next failed try); returns the unsubscribe function. */
  afterProbe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The refusal found, when retrying cannot end it (protected mode: the server's settings must
   * change; a URL whose scheme does not match the port: the URL must); a starting daemon stops on it.
   */
  get final(): string | undefined {
    const refusal = this.refusal;
    return refusal !== undefined && FINAL_REFUSALS.some((start) => refusal.startsWith(start)) ? refusal : undefined;
  }

  explain(failureText: string): string {
    if (!worthProbing(failureText, this.target.tls)) return failureText;
    if (!this.probing && Date.now() - this.probedAt > 5000) {
      this.probing = true;
      void refusalOnConnect(this.target).then((refusal) => {
        this.refusal = refusal;
        this.probedAt = Date.now();
        this.probing = false;
        for (const listener of this.listeners) listener();
      });
    }
    // The refusal says more than the bare code (EPIPE) or protocol error it explains.
    return this.refusal ?? failureText;
  }
}
