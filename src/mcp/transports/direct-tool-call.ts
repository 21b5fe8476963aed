/**
 * The common request of a 2025-era stateless client, `tools/call` answered as JSON, served without building an MCP
 * server for it. The SDK's stateless leg builds a server and a transport per request, registers every tool on it,
 * validates the JSON-RPC envelope and the tool's input and output with zod, serialises the answer and tears it all
 * down again: a large part of a small call's CPU time (issue 12). Here the same tool code runs (mcp/
 * create-mcp-server.ts `EnvironmentTools`: the same logging, limits, audit record and metrics), the input is
 * validated with the tool's own schema, and the answer is the JSON-RPC response the SDK would have written.
 *
 * Taken only when nothing about the request needs the SDK: a single `tools/call` request whose envelope, headers,
 * tool name and arguments are all valid. Anything else (an unknown tool, invalid arguments, a missing header, a
 * `_meta`, an unsupported protocol version) goes to the SDK, which answers it, errors included, as it always has.
 * The tool's output is not validated again: it is built by sqlgate's own typed code, and
 * tests/mcp/transports/direct-tool-call.test.ts holds that every answer here equals the SDK's.
 */
import { SUPPORTED_PROTOCOL_VERSIONS, type AuthInfo } from '@modelcontextprotocol/server';
import type { Identity } from '../../environments/identity.js';
import { rememberedRowsJson } from '../../tools/rows-json.js';
import type { ToolDefinition } from '../../tools/tool.js';
import type { EnvironmentTools, ToolCallAnswer } from '../create-mcp-server.js';
import { answerUnlessAborted } from './answer-unless-aborted.js';

/** A tools/call this path can answer: its id, its tool and the validated arguments. */
interface DirectCall {
  readonly id: string | number;
  readonly tool: ToolDefinition;
  readonly input: Record<string, unknown>;
}

/**
 * Answers the request, or returns undefined when it is not one this path takes (the caller hands it to the SDK).
 * Cancellation as in answer-unless-aborted.ts: an aborted request (`request.signal`, or one of `cancelledBy`) ends with
 * 204 and no body, and its tool sees the abort on its signal.
 */
export function answerToolCallDirectly(
  tools: EnvironmentTools,
  request: Request,
  options: { parsedBody: unknown; authInfo?: AuthInfo; cancelledBy?: readonly AbortSignal[] },
): Promise<Response> | undefined {
  const direct = directCallOf(tools, request, options.parsedBody);
  if (!direct) return undefined;
  return run(tools, direct, request, options);
}

function run(tools: EnvironmentTools, { id, tool, input }: DirectCall, request: Request, options: { authInfo?: AuthInfo; cancelledBy?: readonly AbortSignal[] }): Promise<Response> {
  const controller = new AbortController();
  const identity = options.authInfo?.extra?.identity as Identity | undefined;
  // Stateless: no channel back to the client, so nobody can be asked to confirm (as on the SDK's stateless leg).
  const answer = async () => {
    const result = await tools.call(tool, input, { identity, signal: controller.signal, confirm: undefined }).catch(asToolError);
    return new Response(`{"result":${resultJson(result)},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return answerUnlessAborted([request.signal, ...(options.cancelledBy ?? [])], answer, (reason) => controller.abort(reason));
}

/**
 * `JSON.stringify(result)`, with the rows of its structured content taken from the JSON fit-result.ts already made
 * of them (tools/rows-json.ts) instead of serialised a second time. Members keep their values; only the rows move to
 * the end of the structured content, which JSON does not care about.
 */
export function resultJson(result: ToolCallAnswer): string {
  const structured = result.structuredContent as Record<string, unknown> | undefined;
  const rowsJson = rememberedRowsJson(structured?.rows);
  if (!structured || rowsJson === undefined) return JSON.stringify(result);
  const { structuredContent: _structured, ...others } = result;
  const { rows: _rows, ...rest } = structured;
  const restJson = JSON.stringify(rest);
  const structuredJson = `${restJson.slice(0, -1)}${restJson === '{}' ? '' : ','}"rows":${rowsJson}}`;
  const othersJson = JSON.stringify(others);
  return `${othersJson.slice(0, -1)}${othersJson === '{}' ? '' : ','}"structuredContent":${structuredJson}}`;
}

/** What the SDK answers for an error thrown by a tool's handler (McpServer#createToolError). */
function asToolError(err: unknown): ToolCallAnswer {
  return { content: [{ type: 'text', text: err instanceof Error ? err.message : String(err) }], isError: true };
}

function directCallOf(tools: EnvironmentTools, request: Request, body: unknown): DirectCall | undefined {
  if (!isPlainObject(body) || body.jsonrpc !== '2.0' || body.method !== 'tools/call' || !hasOnly(body, ['jsonrpc', 'id', 'method', 'params'])) return undefined;
  const { id, params } = body;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)))) return undefined;
  if (!isPlainObject(params) || !hasOnly(params, ['name', 'arguments']) || typeof params.name !== 'string') return undefined;
  if (params.arguments !== undefined && !isPlainObject(params.arguments)) return undefined;
  if (!hasHeadersTheSdkRequires(request)) return undefined;
  const tool = tools.find(params.name);
  if (!tool) return undefined;
  const parsed = tool.inputSchema.safeParse(params.arguments ?? {});
  if (!parsed.success) return undefined;
  return { id, tool, input: parsed.data };
}

/** The checks of the SDK's transport that a valid request passes (else the SDK answers 406, 415 or 400). */
function hasHeadersTheSdkRequires(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  const contentType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') return false;
  const version = request.headers.get('mcp-protocol-version');
  return version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}
