/**
 * Listening on a port the user chose (`coord dashboard --port`, `agent --metrics-port`): the
 * usual refusals said in one line, naming the flag to change, with exit status 2.
 */
import type { Server } from 'node:net';
import { ExitError } from '../errors.js';

export interface ListenFlags {
  /** `--port`, `--metrics-port`. */
  port: string;
  /** `--host`, `--metrics-host`. */
  host: string;
}

export function listenOrExplain(server: Server, host: string, port: number, flags: ListenFlags): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new ExitError(`port ${port} on ${host} is in use: pick another with ${flags.port}`, 2));
      else if (error.code === 'EADDRNOTAVAIL') reject(new ExitError(`${host} is not an address of this machine: pick one with ${flags.host}`, 2));
      else if (error.code === 'EACCES') reject(new ExitError(`no permission to listen on port ${port}: pick one above 1024 with ${flags.port}`, 2));
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new ExitError(`${flags.host} ${host}: no such host name here (${error.code}); give an address such as 127.0.0.1 or 0.0.0.0`, 2));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
}
