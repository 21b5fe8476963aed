/** Serves the Hono app on a Node HTTP server and resolves once it listens (with the actual port for port 0). */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError } from '../errors.js';

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(app: { fetch: (request: Request, env: any) => Response | Promise<Response> }, host: string, port: number): Promise<Listening> {
  const server = serve({ fetch: app.fetch, hostname: host, port });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new ConfigError(`Port ${port} on ${host} is already in use.`, { hint: 'Choose another with --port, or stop the other process.' })
          : err.code === 'EADDRNOTAVAIL'
            ? new ConfigError(`Cannot bind ${host}: no such address on this machine.`, { hint: 'Use 127.0.0.1, or an address this machine has.' })
            : err,
      ),
    );
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
