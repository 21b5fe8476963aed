/**
 * The result view of MCP Apps (issue 13, the extension `io.modelcontextprotocol/ui`): one self-contained HTML page,
 * `ui://sqlgate/result`, that shows a tool's rows as a sortable, filterable table and, where the result has a time or
 * category column and numeric ones, as a line or bar chart, with "copy as CSV". execute_sql, get_table_sample and the
 * configuration's tools link it in tools/list (`_meta.ui.resourceUri`); hosts without the extension ignore that and
 * show the text and structured content as before.
 *
 * The page asks for nothing from anywhere: its Content-Security-Policy allows only its own inline style and script,
 * by hash (computed here, once), and no connection, frame, font or image source but data: images.
 */
import { createHash } from 'node:crypto';
import { RESULT_VIEW_SCRIPT, RESULT_VIEW_STYLE } from './result-view-source.js';

export const RESULT_VIEW_URI = 'ui://sqlgate/result';
/** MCP Apps' MIME type for an HTML view. */
export const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';
/** The tools/list `_meta` that links a tool to the view. */
export const RESULT_VIEW_TOOL_META = { ui: { resourceUri: RESULT_VIEW_URI } } as const;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const RESULT_VIEW_CSP = [
  "default-src 'none'",
  `script-src ${hashOf(RESULT_VIEW_SCRIPT)}`,
  `style-src ${hashOf(RESULT_VIEW_STYLE)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const RESULT_VIEW_HTML = [
  '<!doctype html>',
  '<html lang="en">',
  '<head>',
  '<meta charset="utf-8">',
  `<meta http-equiv="Content-Security-Policy" content="${RESULT_VIEW_CSP}">`,
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  '<title>sqlgate result</title>',
  `<style>${RESULT_VIEW_STYLE}</style>`,
  '</head>',
  '<body>',
  '<div id="app" aria-live="polite">Waiting for the result…</div>',
  `<script>${RESULT_VIEW_SCRIPT}</script>`,
  '</body>',
  '</html>',
].join('\n');
