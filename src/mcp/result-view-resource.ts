/** The MCP Apps result view (apps/result-view.ts) as the resource its tools link to. */
import type { McpServer } from '@modelcontextprotocol/server';
import { MCP_APP_MIME_TYPE, RESULT_VIEW_HTML, RESULT_VIEW_URI } from '../apps/result-view.js';

/** MCP Apps resource metadata: no outside origin at all (the page's own CSP says the same), a border around it. */
const VIEW_META = { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } };

export function registerResultView(server: McpServer): void {
  server.registerResource('result_view', RESULT_VIEW_URI, {
    title: 'Result view',
    description: 'Shows a query result as a sortable, filterable table and a chart (MCP Apps)',
    mimeType: MCP_APP_MIME_TYPE,
    _meta: VIEW_META,
  }, (uri) => ({ contents: [{ uri: uri.href, mimeType: MCP_APP_MIME_TYPE, text: RESULT_VIEW_HTML, _meta: VIEW_META }] }));
}
