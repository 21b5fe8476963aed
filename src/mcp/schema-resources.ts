/**
 * An environment's schema as MCP resources (issue 13): one per table or view, `sqlgate://<environment>/tables/<table>`,
 * whose text is what describe_table says of it. What the caller sees follows the table/column policy, as in
 * list_tables and describe_table: a hidden table is neither listed nor readable, denied columns are left out.
 *
 * The list holds the first MAX_LISTED_TABLES, in list_tables' order (by schema, then name): a client shows resources to a person, and on a
 * schema of thousands list_tables' search finds the rest; every table's resource can be read by its URI.
 */
import { McpServer, ResourceNotFoundError, ResourceTemplate, type ServerContext } from '@modelcontextprotocol/server';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { TableNotFoundError } from '../errors.js';
import { CatalogPolicy } from '../policy/catalog-policy.js';
import { renderTableDescription } from '../tools/describe-table.js';
import { qualifiedName, resolveTable } from '../tools/resolve-table.js';
import { compareTables } from '../tools/table-listing.js';

export const MAX_LISTED_TABLES = 1_000;

export function registerSchemaResources(server: McpServer, environment: Environment): void {
  const identityOf = (context: ServerContext) => context.http?.authInfo?.extra?.identity as Identity | undefined;
  const uriOf = (table: { schema: string | null; name: string }) => `sqlgate://${environment.name}/tables/${encodeURIComponent(qualifiedName(table))}`;
  const template = new ResourceTemplate(`sqlgate://${environment.name}/tables/{table}`, {
    list: async (context) => {
      const listed = await environment.dialect.introspector().listTables({});
      const policy = CatalogPolicy.for(environment, identityOf(context));
      const tables = [...(policy ? await policy.visible(listed) : listed)]
        .sort(compareTables)
        .slice(0, MAX_LISTED_TABLES);
      return {
        resources: tables.map((table) => ({
          uri: uriOf(table),
          name: qualifiedName(table),
          description: `${table.kind === 'view' ? 'View' : 'Table'} ${qualifiedName(table)}${table.estimatedRows === null ? '' : ` (~${table.estimatedRows} rows)`}: columns, keys and indexes`,
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
    const name = decodeURIComponent(String(variables.table));
    try {
      const table = await resolveTable(environment.dialect.introspector(), name, CatalogPolicy.for(environment, identityOf(context)));
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: renderTableDescription(table) }] };
    } catch (err) {
      if (err instanceof TableNotFoundError) throw new ResourceNotFoundError(uri.href);
      throw err;
    }
  });
}
