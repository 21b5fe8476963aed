/**
 * Serves the Hono app on a Node HTTP server and resolves once it listens (with the actual port for port 0). The
 * server gets the timeouts of the `server` section, which keep slow or hostile clients from holding connections,
 * and counts the responses in progress so that a shutdown can let them finish before it closes the connections.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { ServerConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * The responses a shutdown waits for. `plain`: those that are not event streams. `answers`: also the event streams
 * opened by a POST (a Streamable HTTP call's, which ends with its answer). `all`: also those opened by a GET (legacy
 * SSE), which only end when closed.
 */
export type ResponseKinds = 'plain' | 'answers' | 'all';

export type ServerTimeouts = Pick<ServerConfig, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'idleTimeoutMs'>;

/**
 * How often Node looks for connections past the headers or request timeout (its default, 30 s, would let a slowloris
 * hold a connection for the timeout plus up to 30 s). A pass over the open connections costs microseconds.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface Listening {
  readonly port: number;
  /** Stops accepting connections and closes the idle ones; responses from now on close their connection. */
  stopAccepting(): void;
  /** Resolves true once none of the responses `which` names is in progress, or false after `timeoutMs`. */
  responsesSettled(timeoutMs: number, which: ResponseKinds): Promise<boolean>;
  /** Closes every connection, whatever it is doing, and the server. */
  close(): Promise<void>;
}

export async function listen(
  app: { fetch: (request: Request, env: any) => Response | Promise<Response> },
  host: string,
  port: number,
  /** Absent (tests that start an app in their own process): Node's defaults. */
  timeouts?: ServerTimeouts,
): Promise<Listening> {
  const responses = new OpenResponses();
  const server = serve({
    // Node's response does not know the headers Hono hands it at once: an event stream is noted on the way out.
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      const response = await app.fetch(request, env);
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) responses.markEventStream(env.outgoing as ServerResponse);
      return response;
    },
    hostname: host,
    port,
    serverOptions: timeouts && {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
  });
  // Socket inactivity while a request is answered (a client that stopped reading): Node destroys the socket.
  if (timeouts) server.setTimeout(timeouts.idleTimeoutMs);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => responses.add(request, response));
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
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let isClosing = false;
  return {
    port: (server.address() as AddressInfo).port,
    stopAccepting: () => {
      if (isClosing) return;
      isClosing = true;
      responses.closeConnectionsAfterwards();
      server.close(); // Node (19+) also closes the idle kept-alive connections
    },
    responsesSettled: (timeoutMs, which) => responses.settled(timeoutMs, which),
    close: async () => {
      isClosing = true;
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      if (server.listening) server.close();
      await closed;
    },
  };
}

/** The responses being written, and who waits for them to end. */
class OpenResponses {
  /** Each open response, and whether its request was a GET. */
  private readonly open = new Map<ServerResponse, boolean>();
  private readonly eventStreams = new WeakSet<ServerResponse>();
  private readonly waiters = new Set<() => void>();
  private isClosingConnections = false;

  add(request: IncomingMessage, response: ServerResponse): void {
    this.open.set(response, request.method === 'GET');
    if (this.isClosingConnections) response.setHeader('Connection', 'close');
    response.once('close', () => {
      this.open.delete(response);
      for (const check of [...this.waiters]) check();
    });
  }

  markEventStream(response: ServerResponse): void {
    this.eventStreams.add(response);
  }

  /** Every response not yet started, and every one to come, closes its connection once it is sent. */
  closeConnectionsAfterwards(): void {
    this.isClosingConnections = true;
    for (const response of this.open.keys()) if (!response.headersSent) response.setHeader('Connection', 'close');
  }

  settled(timeoutMs: number, which: ResponseKinds): Promise<boolean> {
    const isWaitedFor = (response: ServerResponse, isGet: boolean) =>
      which === 'all' || !this.eventStreams.has(response) || (which === 'answers' && !isGet);
    const isSettled = () => [...this.open].every(([response, isGet]) => !isWaitedFor(response, isGet));
    if (isSettled()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const check = () => {
        if (isSettled()) finish(true);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.waiters.add(check);
    });
  }
}
