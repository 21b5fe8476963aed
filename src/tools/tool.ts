/**
 * What a tool is, independent of MCP: a name, a description, zod schemas for input and output, hints, and a
 * `run` that returns both the structured result and its compact text rendering for the model.
 * mcp/ turns these into SDK registrations; tools never import the SDK, Hono or a driver.
 */
import type { z } from 'zod';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';

/**
 * Asks the user a yes/no question through the client (MCP elicitation). Resolves true only on an explicit yes,
 * false on no/cancel, and undefined when this client cannot be asked.
 */
/** `subject` is what is confirmed (the whole statement; the question may show it cut): a confirmation is for it alone. */
export type ConfirmWithUser = (question: string, subject?: string) => Promise<boolean | undefined>;

export interface ToolContext {
  readonly environment: Environment;
  /** Aborted when the client cancels the call or disconnects. */
  readonly signal: AbortSignal;
  /** Present when the transport can carry a question back to the user. */
  readonly confirm?: ConfirmWithUser;
  /** The authenticated caller; absent on servers without authentication (stdio, auth.mode none). */
  readonly identity?: Identity;
  /**
   * Told the statement a tool built before it is checked and run (a configured tool's SQL with its markers), so the
   * audit line says what ran and not only the arguments. Absent where nobody audits (the CLI's tools test).
   */
  readonly recordStatement?: (sql: string) => void;
  /**
   * Called after a statement that changes data was allowed and before it runs: commits its `started` audit record,
   * and throws (so that nothing runs) when it cannot. Absent where nobody audits.
   */
  readonly beforeChange?: () => Promise<void>;
}

export interface ToolOutput<T> {
  readonly structured: T;
  readonly text: string;
  /**
   * The exact JSON length of `structured.rows`, when the tool measured it (fit-result.ts does, to keep the result
   * within its budget): the audit's result size then needs no second JSON.stringify of every row.
   */
  readonly rowsJsonChars?: number;
}

/** MCP tool annotations, as plain data (the SDK's ToolAnnotations shape). */
export interface ToolHints {
  readonly title: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Input;
  readonly outputSchema: Output;
  /** Its result is rows (query-result-schema.ts): MCP Apps hosts may show it in the result view (apps/result-view.ts). */
  readonly showsRows?: boolean;
  hints(environment: Environment): ToolHints;
  run(input: z.output<Input>, context: ToolContext): Promise<ToolOutput<z.output<Output>>>;
}

/** Erases a tool's generic types so tools of different shapes share one list. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
