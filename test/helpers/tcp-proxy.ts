/**
 * A TCP proxy in front of Redis whose connection a test can cut, to simulate a network split,
 * or whose reply to one request it can lose (the request reaches Redis, the answer never
 * comes back), as when a connection breaks between the two, or that can drop what is
 * published to its subscribers.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.js';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutUntil = 0;
  private lostReplyMarker: string | undefined;
  /** Requests whose replies were lost so far. */
  lostReplies = 0;
  /**
   * While true, what Redis sends a connection that subscribed (a published message) is dropped
   * on the way, as if that subscriber were reconnecting when it was published; the
   * connection itself stays up.
   */
  dropPushes = false;
  /** Chunks dropped so far on their way to subscribers. */
  droppedPushes = 0;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => {
      if (Date.now() < this.cutUntil) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ port: this.targetPort, host: '127.0.0.1' });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      let losingReply = false;
      let subscriber = false;
      client.on('data', (chunk: Buffer) => {
        if (!subscriber && chunk.toString('latin1').toLowerCase().includes('$9\r\nsubscribe\r\n')) subscriber = true;
        if (this.lostReplyMarker !== undefined && chunk.includes(this.lostReplyMarker)) {
          this.lostReplyMarker = undefined;
          losingReply = true;
        }
        upstream.write(chunk);
      });
      let replyLost = false;
      upstream.on('data', (chunk: Buffer) => {
        if (subscriber && this.dropPushes) {
          this.droppedPushes += 1;
          return;
        }
        if (!losingReply) return void client.write(chunk);
        if (replyLost) return;
        // Redis runs the request; its answer (and what follows) is dropped, then the connection
        // breaks, a moment later so that Redis has surely read the whole request.
        replyLost = true;
        this.lostReplies += 1;
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
        }, 100);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Drops every connection and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.cutUntil = Date.now() + ms;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Ends a cut before its time: new connections are let through again. */
  heal(): void {
    this.cutUntil = 0;
  }

  /** The next request that contains `marker` reaches Redis, but its reply is lost: the connection breaks instead. */
  loseReplyTo(marker: string): void {
    this.lostReplyMarker = marker;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
