/**
 * Builds one MCP server for one environment from the tool definitions. Called per request (Streamable HTTP is
 * stateless) or per connection (stdio, legacy SSE) by the SDK's serving entries; construction only registers
 * closures and reuses the output schemas' JSON Schema, so it is cheap.
 */
import { randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, McpServer, type CallToolResult, type McpServerFactory, type ServerContext } from '@modelcontextprotocol/server';
import type { AuditTrail } from '../audit/audit-trail.js';
import { toolCallEvent } from '../audit/tool-call-event.js';
import { withSpan } from '../telemetry/tracing.js';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { limitScope } from '../limits/limit-scope.js';
import type { UsageLimiter } from '../limits/usage-limiter.js';
import type { Drain } from '../util/drain.js';
import type { Logger } from '../telemetry/logger.js';
import type { ConfirmWithUser, ToolDefinition } from '../tools/tool.js';
import { RESULT_VIEW_TOOL_META } from '../apps/result-view.js';
import { SQLGATE_VERSION } from '../version.js';
import { toToolErrorResult } from './error-result.js';
import type { ToolCallObserver } from '../telemetry/observers.js';
import { observedToolCall } from './observed-tool-call.js';
import type { InputConfirmations } from './input-confirmations.js';
import { publishedSchema } from './published-schema.js';
import { registerResultView } from './result-view-resource.js';
import { registerSchemaResources } from './schema-resources.js';
import { registerStarterPrompts } from './starter-prompts.js';

/** What one tool call needs besides its arguments: its caller, its cancellation, and a way to ask the user. */
export interface ToolCallContext {
  /** The verified caller of this very request; absent for stdio and unauthenticated servers. */
  readonly identity: Identity | undefined;
  readonly signal: AbortSignal;
  readonly confirm: ConfirmWithUser | undefined;
}

/** A tool call's answer, as MCP's tools/call result. */
export type ToolCallAnswer = CallToolResult;

/**
 * The tools of one environment, callable without an MCP server in between: the stateless JSON path
 * (transports/direct-tool-call.ts) calls them so, the SDK's servers through their registered handlers. Either way
 * a call is logged, limited, audited and observed by the same code.
 */
export interface EnvironmentTools {
  find(name: string): ToolDefinition | undefined;
  call(tool: ToolDefinition, input: Record<string, unknown>, context: ToolCallContext): Promise<ToolCallAnswer>;
}

/** A factory of the SDK's servers that also offers its tools directly. */
export type SqlgateServerFactory = McpServerFactory & { readonly tools: EnvironmentTools };

export function createMcpServerFactory(
  environment: Environment,
  tools: readonly ToolDefinition[],
  logger: Logger,
  /** Where every call is recorded before its result goes back; absent in tests that only need the log line. */
  audit?: AuditTrail,
  /** The caller's limits, checked around every call (a refusal is audited like any other); absent: none. */
  limits?: UsageLimiter,
  /** The server's shutdown: it waits for the calls in flight and cancels their statements when its grace is over. */
  drain?: Drain,
  /** Told of every call once it is answered (the server's metrics); absent: nobody is told. */
  observe?: ToolCallObserver,
  /** Confirmations on 2026-07-28 requests (input_required); absent: such requests cannot be asked. */
  confirmations?: InputConfirmations,
): SqlgateServerFactory {
  const instructions = describeEnvironment(environment);
  const counted = <T>(call: () => Promise<T>): Promise<T> => (drain ? drain.count(call) : call());
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const published = new Map(tools.map((tool) => [tool.name, { input: publishedSchema(tool.inputSchema), output: publishedSchema(tool.outputSchema) }]));

  const call = (tool: ToolDefinition, input: Record<string, unknown>, { identity, signal, confirm }: ToolCallContext): Promise<ToolCallAnswer> => counted(async () => {
    const started = performance.now();
    // One id for the call: in its log line, its audit record, and an internal error's message to the user.
    const requestId = randomUUID();
    const logContext = { tool: tool.name, requestId, ...auditSubject(identity) }; // the logger already names the environment
    let statement: string | undefined;
    const recordStatement = (sql: string) => void (statement = sql);
    const audited = () => ({ ...logContext, audit: true, input: auditedInput(input), ...(statement === undefined ? {} : { sql: auditedText(statement) }), ms: Math.round(performance.now() - started) });
    let result: { structured: unknown; text: string; rowsJsonChars?: number } | { error: unknown };
    try {
      const recordsParameters = audit?.recordsParametersIn(environment.config) ?? false;
      const beforeChange = audit && (async () => void await audit.record(toolCallEvent({
        requestId, environment: environment.name, identity, tool: tool.name, input, statement, recordsParameters,
        ms: Math.round(performance.now() - started), result: { started: true },
      })));
      const run = () => tool.run(input, { environment, signal: drain ? drain.signalFor(signal) : signal, confirm, identity, recordStatement, beforeChange });
      const traced = () => withSpan(`tool ${tool.name}`, {
        'sqlgate.request_id': requestId, 'sqlgate.environment': environment.name, 'sqlgate.tool': tool.name, 'enduser.id': identity?.user,
      }, run);
      result = limits ? await limits.run(limitScope(environment, identity), traced) : await traced();
    } catch (err) {
      result = { error: err };
    }
    const ended = {
      requestId, environment: environment.name, identity, tool: tool.name, input, statement,
      recordsParameters: audit?.recordsParametersIn(environment.config) ?? false, ms: Math.round(performance.now() - started),
    };
    const event = toolCallEvent({ ...ended, result });
    // Counted as answered: a call whose record could not be written is a failure, whatever it returned.
    const observeAs = (answered: typeof event) => observe?.(observedToolCall(answered, (performance.now() - started) / 1000));
    try {
      // Committed before anything goes back: a process killed after answering cannot lose the record.
      await audit?.record(event);
    } catch (err) {
      observeAs(toolCallEvent({ ...ended, result: { error: err } }));
      return toToolErrorResult(err, logger, { ...audited(), outcome: 'error' });
    }
    observeAs(event);
    // One audit line for a failed call too: toToolErrorResult logs it with the error code.
    if ('error' in result) return toToolErrorResult(result.error, logger, { ...audited(), outcome: 'error' });
    logger.info({ ...audited(), outcome: 'ok' }, 'tool call');
    return {
      content: [{ type: 'text' as const, text: result.text }],
      structuredContent: result.structured as Record<string, unknown>,
    };
  });

  // The SDK converts a tool's output schema to JSON Schema on its first tools/call and memoises it on the
  // registered tool, which lives as long as the server: one HTTP request here. The schemas never change, so the
  // first server's conversion is handed to every later one (the SDK only reads it).
  const environmentTools: EnvironmentTools = { find: (name: string) => byName.get(name), call };
  const outputSchemaJson = new Map<string, Record<string, unknown> | undefined>();
  const factory: McpServerFactory = () => {
    const server = new McpServer(
      { name: 'sqlgate', title: `sqlgate · ${environment.name}`, version: SQLGATE_VERSION },
      {
        capabilities: { tools: { listChanged: false }, resources: { listChanged: false }, prompts: { listChanged: false } },
        instructions,
        cacheHints: CACHE_HINTS,
        ...(confirmations ? { requestState: { verify: confirmations.verify } } : {}),
      },
    );
    registerSchemaResources(server, environment, environmentTools);
    registerResultView(server);
    registerStarterPrompts(server, environment);
    for (const tool of tools) {
      // The title goes on the tool itself; repeating it in the annotations only costs tools/list characters.
      const { title, ...hints } = tool.hints(environment);
      const registered = server.registerTool(
        tool.name,
        {
          title,
          description: tool.description,
          inputSchema: published.get(tool.name)!.input,
          outputSchema: published.get(tool.name)!.output,
          annotations: hints,
          ...(tool.showsRows ? { _meta: RESULT_VIEW_TOOL_META } : {}),
        },
        async (input, context) => {
          // A 2026-07-28 request cannot be asked in the middle of the call: its confirmation is a round trip of its own.
          const round = confirmations && asksByInputRequired(context) ? confirmations.forCall(context, environment.name, tool.name) : null;
          const answer = await call(tool, input, {
            // http/ verified the token of this very request and put the caller here; stdio and unauthenticated
            // servers have none. Read per call, not per server: a legacy SSE session outlives its first request.
            identity: context.http?.authInfo?.extra?.identity as Identity | undefined,
            signal: context.mcpReq.signal,
            confirm: round?.confirm ?? confirmThrough(server, context),
          });
          return (await round?.pending()) ?? answer;
        },
      );
      if (outputSchemaJson.has(tool.name)) registered.outputSchemaJson = outputSchemaJson.get(tool.name);
      else outputSchemaJson.set(tool.name, registered.outputSchemaJson);
    }
    return server;
  };
  return Object.assign(factory, { tools: environmentTools });
}

/** Who ran a call, for the audit line: the user and the client, or "anonymous" where nobody signs in. */
function auditSubject(identity: Identity | undefined): Record<string, string> {
  if (!identity) return { user: 'anonymous' };
  return { user: identity.user, via: identity.via, ...(identity.clientId ? { client: identity.clientId } : {}) };
}

/** A tool's arguments as logged: SQL text is kept (it is what an auditor needs), cut at 4,000 characters. */
function auditedInput(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, typeof value === 'string' ? auditedText(value) : value]));
}

function auditedText(text: string): string {
  return text.length > 4_000 ? `${text.slice(0, 4_000)}…` : text;
}

/**
 * How long 2026-07-28 clients may keep list and read results. The tool and prompt lists are the same for everyone in
 * the environment and change only with a restart; the schema resources depend on the caller's table/column policy
 * and on the schema, so they are the caller's own and kept briefly.
 */
const CACHE_HINTS = {
  'tools/list': { ttlMs: 300_000, cacheScope: 'public' },
  'prompts/list': { ttlMs: 300_000, cacheScope: 'public' },
  'resources/templates/list': { ttlMs: 300_000, cacheScope: 'public' },
  'resources/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/read': { ttlMs: 60_000, cacheScope: 'private' },
} as const;

/** A 2026-07-28 request (it carries the per-request envelope) from a client that takes form elicitations. */
function asksByInputRequired(context: ServerContext): boolean {
  const envelope = context.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
  return envelope !== undefined && capabilities?.elicitation !== undefined;
}

/**
 * A yes/no question to the user via elicitation, when the client declared it can answer one. Stateless HTTP
 * requests have no channel back to the client (a fresh server per request knows no client capabilities), so
 * there the answer is undefined and the caller refuses.
 */
function confirmThrough(server: McpServer, context: ServerContext): ConfirmWithUser | undefined {
  if (!server.server.getClientCapabilities()?.elicitation) return undefined;
  return async (question) => {
    try {
      const result = await context.mcpReq.elicitInput({
        mode: 'form',
        message: question,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Run it', description: 'Yes, run this statement' } },
          required: ['confirm'],
        },
      });
      return result.action === 'accept' && result.content?.confirm === true;
    } catch {
      return undefined; // the client could not be asked after all (e.g. a 2026-07-28 request)
    }
  };
}

function describeEnvironment(environment: Environment): string {
  const { config, dialect, description } = environment;
  return [
    `Environment "${environment.name}": a ${dialect.displayName} database${description ? ` (${description})` : ''}.`,
    config.readOnly ? 'Read-only: only reading statements run.' : 'Writable: data-changing statements run and commit.',
    `Write ${dialect.displayName} SQL. Results are capped at ${config.maxRows} rows; statements time out after ${config.statementTimeoutMs / 1000} s.`,
    'Start with list_tables and describe_table; prefer aggregates over listing rows.',
  ].join(' ');
}
