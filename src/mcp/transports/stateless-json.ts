/**
 * 2025-era stateless requests answered with one JSON body instead of an SSE stream. The SDK's stateless leg always
 * streams its answer; for a single request that sends nothing before its result (sqlgate sends no progress or log
 * notifications), the stream is one `message` event: the same bytes framed as SSE, written through the SDK's event
 * writer, which a profile of the 1000-row call showed among the top costs, and which every client must then parse
 * back. Streamable HTTP lets the server answer JSON whenever the client accepts both (MCP 2025-06-18, "Sending
 * Messages to the Server"), which every conforming client does.
 *
 * Taken only for what it fits: one JSON-RPC request (not a batch or notification) of the 2025 era, from a client
 * that accepts application/json, without a progress token (a caller that asks for progress keeps its stream).
 */
import {
  classifyInboundRequest,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import { answerUnlessAborted } from './answer-unless-aborted.js';

export function isJsonAnswerable(request: Request, body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const message = body as { id?: unknown; method?: unknown; params?: { _meta?: { progressToken?: unknown } } };
  if (message.id === undefined || typeof message.method !== 'string') return false;
  if (message.params?._meta?.progressToken !== undefined) return false;
  if (!(request.headers.get('accept') ?? '').toLowerCase().includes('application/json')) return false;
  const route = classifyInboundRequest({
    httpMethod: request.method,
    body,
    ...headerIfSet('protocolVersionHeader', request.headers.get('mcp-protocol-version')),
    ...headerIfSet('mcpMethodHeader', request.headers.get('mcp-method')),
    ...headerIfSet('mcpNameHeader', request.headers.get('mcp-name')),
  });
  return route.kind === 'legacy';
}

/**
 * Serves one request on a fresh server from the factory, as the SDK's stateless leg does, over a transport that
 * answers JSON. A request aborted (the client went away, `request.signal`, or cancelled it with
 * notifications/cancelled, one of `options.cancelledBy`) closes the server, which aborts the running handler; no
 * JSON-RPC response follows a cancelled request (MCP "Cancellation"), so the HTTP exchange ends with 204 and no
 * body. The answer is whole when this resolves: nothing of the call runs after it.
 */
export async function answerAsJson(
  factory: McpServerFactory,
  request: Request,
  options: { parsedBody: unknown; authInfo?: AuthInfo; cancelledBy?: readonly AbortSignal[] },
): Promise<Response> {
  const server = await factory({ era: 'legacy', ...(options.authInfo && { authInfo: options.authInfo }), requestInfo: request });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  const teardown = () => {
    transport.close().catch(() => undefined);
    server.close().catch(() => undefined);
  };
  const answer = () => transport.handleRequest(request, { parsedBody: options.parsedBody, ...(options.authInfo && { authInfo: options.authInfo }) });
  try {
    return await answerUnlessAborted([request.signal, ...(options.cancelledBy ?? [])], answer, teardown);
  } finally {
    teardown();
  }
}

function headerIfSet<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}
