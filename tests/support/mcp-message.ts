/**
 * One JSON-RPC message POSTed to an MCP endpoint as a stateless 2025-06-18 client sends it (no initialize first),
 * with a bearer token, and its answer read from either a JSON body or the event stream sqlgate answers tools/call
 * with. For tests that need their own ids, headers or an abort signal, which oauth-client.ts's mcpCall does not take.
 */
export interface McpResponse {
  readonly status: number;
  /** The JSON-RPC message that came back, or the body as text when it was neither JSON nor an event. */
  readonly body: any;
  readonly headers: Headers;
}

export interface McpMessageOptions {
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export async function postMcpMessage(url: string, token: string, message: Record<string, unknown>, options: McpMessageOptions = {}): Promise<McpResponse> {
  const response = await fetch(url, {
    method: 'POST',
    signal: options.signal,
    headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18',
      authorization: `Bearer ${token}`, ...options.headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  const text = await response.text();
  const json = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
  return { status: response.status, body: json ? JSON.parse(json) : text, headers: response.headers };
}

/** A tools/call that ran and answered: HTTP 200 with a result that is not a tool error. */
export function isAnswered(response: McpResponse): boolean {
  return response.status === 200 && response.body?.result !== undefined && response.body.result.isError !== true;
}
