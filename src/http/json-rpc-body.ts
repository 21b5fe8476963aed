/**
 * What the HTTP layer reads from a JSON-RPC request body before the MCP SDK handles it: the ids of tool calls
 * (for cancellation), the requests a client cancels, and the SQL of execute_sql calls (for the scope check).
 */

interface JsonRpcLike {
  method?: unknown;
  id?: unknown;
  params?: { requestId?: unknown; name?: unknown; arguments?: unknown };
}

/** The ids of `tools/call` requests in a JSON-RPC body (one message or a batch). */
export function toolCallIds(body: unknown): (string | number)[] {
  return messages(body).filter((m) => m.method === 'tools/call' && isId(m.id)).map((m) => m.id as string | number);
}

/** The request ids named by `notifications/cancelled` messages in a JSON-RPC body. */
export function cancelledIds(body: unknown): (string | number)[] {
  return messages(body)
    .filter((m) => m.method === 'notifications/cancelled' && isId(m.params?.requestId))
    .map((m) => m.params!.requestId as string | number);
}

function messages(body: unknown): JsonRpcLike[] {
  const list = Array.isArray(body) ? body : [body];
  return list.filter((m): m is JsonRpcLike => m !== null && typeof m === 'object');
}

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/** The `query` argument (the SQL text) of every execute_sql call in a JSON-RPC body. */
export function executeSqlTexts(body: unknown): string[] {
  return messages(body)
    .filter((m) => m.method === 'tools/call' && m.params?.name === 'execute_sql')
    .map((m) => (m.params?.arguments as { query?: unknown } | undefined)?.query)
    .filter((sql): sql is string => typeof sql === 'string');
}
