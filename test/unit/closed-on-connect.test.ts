/** Which failures read as a connection the server closed on us (then worth asking the server why). */
import { expect, it } from 'vitest';
import { closedByServer } from '@sweep-runner/shared';

it('knows a closed connection in the forms our connections and BullMQ workers report it, and nothing else', () => {
  for (const text of ['EPIPE', 'ECONNRESET', 'write EPIPE', 'read ECONNRESET', 'connection closed', 'Connection is closed.']) expect(closedByServer(text), text).toBe(true);
  for (const text of ['ECONNREFUSED', 'authentication failed: check the user and password in the URL', 'EPIPE: Redis closed the connection, it has as many clients as its maxclients allows']) {
    expect(closedByServer(text), text).toBe(false);
  }
});
