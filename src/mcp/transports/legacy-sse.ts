/**
 * The 2024-11-05 HTTP+SSE transport, kept apart so it can be dropped when no client needs it.
 *
 * `GET /<env>/sse` opens an event stream whose first event, `endpoint`, names the URL to POST messages to
 * (`/<env>/messages?sessionId=…`); the server's messages come back as `message` events, with keep-alive
 * comments in between. The SDK v2 has no server SSE transport, so this is a small one over web streams.
 */
import { randomUUID } from 'node:crypto';
import type { AuthInfo, JSONRPCMessage, McpServerFactory, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../../telemetry/logger.js';

export interface LegacySseOptions {
  /** Path the client posts to, without the query string, e.g. `/demo/messages`. */
  messagesPath: string;
  keepAliveMs?: number;
  /** Open sessions allowed at once per environment; more are refused with 503. */
  maxSessions?: number;
  logger: Logger;
}

const encoder = new TextEncoder();
const MAX_SESSIONS_PER_OWNER = 10;
/** When a client whose stream was closed by a shutdown should reconnect: by then a restarted or another instance answers. */
const SHUTDOWN_RETRY_MS = 5_000;

/** One open SSE stream, connected to one MCP server instance. */
class SseServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  readonly sessionId = randomUUID();
  /** Who opened the stream (the authenticated caller's user and client); only they may post to it. */
  owner: string | undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private keepAlive: NodeJS.Timeout | undefined;
  private isClosed = false;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(endpoint: string, keepAliveMs: number) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        this.write(`event: endpoint\ndata: ${endpoint}?sessionId=${this.sessionId}\n\n`);
        if (keepAliveMs > 0) this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
      },
      cancel: () => void this.close(),
    });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.isClosed) throw new Error('SSE stream is closed');
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Ends the stream with a last event, so the client knows it was closed on purpose and when to come back. */
  async closeWith(event: string, data: unknown, retryMs: number): Promise<void> {
    this.write(`event: ${event}\nretry: ${retryMs}\ndata: ${JSON.stringify(data)}\n\n`);
    await this.close();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.keepAlive);
    try {
      this.controller?.close();
    } catch {
      // already closed by the client going away
    }
    this.onclose?.();
  }

  private write(chunk: string): void {
    if (this.isClosed) return;
    try {
      this.controller?.enqueue(encoder.encode(chunk));
    } catch {
      void this.close();
    }
  }
}

/** Serves legacy SSE sessions for one environment. */
export class LegacySseEndpoint {
  private readonly sessions = new Map<string, SseServerTransport>();

  constructor(
    private readonly factory: McpServerFactory,
    private readonly options: LegacySseOptions,
  ) {}

  /** `GET /<env>/sse`: opens a session. */
  async open(request: Request, authInfo?: AuthInfo): Promise<Response> {
    if (this.sessions.size >= (this.options.maxSessions ?? 100)) {
      return Response.json({ error: 'SG_BUSY', message: 'Too many open SSE sessions; retry later or use /mcp.' }, { status: 503 });
    }
    // One signed-in caller may not hold every slot (anonymous callers share the server-wide limit above).
    const owner = ownerOf(authInfo);
    if (owner !== undefined && [...this.sessions.values()].filter((t) => t.owner === owner).length >= MAX_SESSIONS_PER_OWNER) {
      return Response.json({ error: 'SG_BUSY', message: `You have ${MAX_SESSIONS_PER_OWNER} SSE sessions open; close one or use /mcp.` }, { status: 503 });
    }
    const transport = new SseServerTransport(this.options.messagesPath, this.options.keepAliveMs ?? 15_000);
    transport.owner = owner;
    this.sessions.set(transport.sessionId, transport);
    const server = await this.factory({ era: 'legacy', requestInfo: request, authInfo });
    transport.onclose = () => {
      this.sessions.delete(transport.sessionId);
      void server.close().catch(() => undefined);
    };
    request.signal.addEventListener('abort', () => void transport.close(), { once: true });
    await server.connect(transport);
    return new Response(transport.stream, {
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' },
    });
  }

  /** `POST /<env>/messages?sessionId=…`: one JSON-RPC message (or a batch) for an open session. */
  async post(request: Request, authInfo?: AuthInfo): Promise<Response> {
    const sessionId = new URL(request.url).searchParams.get('sessionId');
    const transport = sessionId ? this.sessions.get(sessionId) : undefined;
    // Another caller's session id is answered like an unknown one: it must not reveal that the session exists.
    if (!transport || transport.owner !== ownerOf(authInfo)) {
      return Response.json(
        { error: 'SG_NOT_FOUND', message: 'Unknown or expired sessionId; open a new stream with GET …/sse.' },
        { status: 404 },
      );
    }
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return Response.json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not JSON.' } }, { status: 400 });
    }
    let messages: JSONRPCMessage[];
    try {
      messages = (Array.isArray(body) ? body : [body]).map((m) => parseJSONRPCMessage(m));
    } catch {
      return Response.json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid JSON-RPC message.' } }, { status: 400 });
    }
    // Each message runs as the caller checked on this POST (a role taken away since the stream opened applies now).
    for (const message of messages) transport.onmessage?.(message, authInfo ? { authInfo } : undefined);
    return new Response('Accepted', { status: 202 });
  }

  /**
   * The server is shutting down: every open stream gets a last `shutdown` event (its `retry` tells an EventSource
   * when to reconnect) and is closed. The calls in flight have ended by now (cli/graceful-shutdown.ts waits).
   */
  async close(): Promise<void> {
    const farewell = { reason: 'sqlgate is shutting down', retry_after_seconds: SHUTDOWN_RETRY_MS / 1_000 };
    await Promise.all([...this.sessions.values()].map((t) => t.closeWith('shutdown', farewell, SHUTDOWN_RETRY_MS)));
  }
}

function ownerOf(authInfo: AuthInfo | undefined): string | undefined {
  const identity = authInfo?.extra?.identity as { user?: string } | undefined;
  return authInfo ? `${identity?.user ?? ''}|${authInfo.clientId}` : undefined;
}
