/**
 * An environment's schema as MCP resources (issue 13): one per table or view, `sqlgate://<environment>/tables/<table>`,
 * whose text is what describe_table says of it. They are list_tables and describe_table by another name: listing
 * and reading run those tools through the environment's tool path (audit record, limits, log line, metrics, and the
 * caller's table/column policy), so a resource read is in the audit trail like the describe_table it is. An
 * environment without either tool has no schema resources.
 *
 * The list is list_tables' first page (at most 1,000, by schema then name): a client shows resources to a person,
 * and on a schema of thousands list_tables' search finds the rest; every table's resource can be read by its URI.
 */
import { McpServer, ProtocolError, ProtocolErrorCode, ResourceNotFoundError, ResourceTemplate, type ServerContext } from '@modelcontextprotocol/server';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { qualifiedName } from '../tools/resolve-table.js';
import type { ToolDefinition } from '../tools/tool.js';
import type { EnvironmentTools, ToolCallAnswer } from './create-mcp-server.js';

interface ListedTable {
  readonly schema: string | null;
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly estimated_rows: number | null;
}

export function registerSchemaResources(server: McpServer, environment: Environment, tools: EnvironmentTools): void {
  const listTables = tools.find('list_tables');
  const describeTable = tools.find('describe_table');
  if (!listTables || !describeTable) return;
  const run = (tool: ToolDefinition, input: Record<string, unknown>, context: ServerContext): Promise<ToolCallAnswer> => tools.call(tool, input, {
    identity: context.http?.authInfo?.extra?.identity as Identity | undefined,
    signal: context.mcpReq.signal,
    confirm: undefined, // reads: nothing to confirm
  });
  const uriOf = (table: { schema: string | null; name: string }) => `sqlgate://${environment.name}/tables/${encodeURIComponent(qualifiedName(table))}`;
  const template = new ResourceTemplate(`sqlgate://${environment.name}/tables/{table}`, {
    list: async (context) => {
      const answer = await run(listTables, {}, context);
      if (answer.isError) throw failed(answer);
      const tables = (answer.structuredContent as { tables: ListedTable[] }).tables;
      return {
        resources: tables.map((table) => ({
          uri: uriOf(table),
          name: qualifiedName(table),
          description: `${table.kind === 'view' ? 'View' : 'Table'} ${qualifiedName(table)}${table.estimated_rows === null ? '' : ` (~${table.estimated_rows} rows)`}: columns, keys and indexes`,
          mimeType: 'text/plain',
        })),
      };
    },
  });
  server.registerResource('table', template, {
    title: `Tables of ${environment.name}`,
    description: 'A table or view: columns (type, nullable, default), primary key, foreign keys both ways, indexes',
    mimeType: 'text/plain',
  }, async (uri, variables, context) => {
    const answer = await run(describeTable, { table: decodeURIComponent(String(variables.table)) }, context);
    if (answer.isError) {
      if (textOf(answer).startsWith('SG_TABLE_NOT_FOUND')) throw new ResourceNotFoundError(uri.href);
      throw failed(answer);
    }
    return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: textOf(answer) }] };
  });
}

function textOf(answer: ToolCallAnswer): string {
  return answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

/** A tool's refusal or error, as the JSON-RPC error of the resource request: its code and message, as the tool said them. */
function failed(answer: ToolCallAnswer): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InternalError, textOf(answer));
}
