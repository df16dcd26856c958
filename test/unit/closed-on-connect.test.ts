/** Which failures read as a connection the server closed on us, or over TLS as a port that speaks plain text (then worth asking the server why). */
import { expect, it } from 'vitest';
import { closedByServer, worthProbing } from '@sweep-runner/shared';

it('knows a closed connection in the forms our connections and BullMQ workers report it, and nothing else', () => {
  for (const text of ['EPIPE', 'ECONNRESET', 'write EPIPE', 'read ECONNRESET', 'connection closed', 'Connection is closed.']) expect(closedByServer(text), text).toBe(true);
  for (const text of ['ECONNREFUSED', 'authentication failed: check the user and password in the URL', 'it has as many clients as its maxclients allows (ERR max number of clients reached)', 'it closed the connection before the TLS handshake']) {
    expect(closedByServer(text), text).toBe(false);
  }
});

it('asks the server about TLS errors and silence only for rediss:// URLs', () => {
  for (const text of ['ERR_SSL_WRONG_VERSION_NUMBER', 'ETIMEDOUT', 'connect ETIMEDOUT', 'no answer in 4s']) {
    expect(worthProbing(text, true), text).toBe(true);
    expect(worthProbing(text, false), text).toBe(false);
  }
  expect(worthProbing('EPIPE', false)).toBe(true);
  expect(worthProbing('authentication failed: check the user and password in the URL', true)).toBe(false);
});
