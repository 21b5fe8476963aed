/** What `sqlgate serve` prints once it listens: the URLs and ready-to-paste client snippets. */
import type { Sqlgate } from '../app.js';

export function startBanner(sqlgate: Sqlgate, baseUrl: string, version: string): string {
  const environments = sqlgate.environments.list();
  const first = environments[0]!;
  const url = `${baseUrl}/${first.name}/mcp`;
  const lines = [
    `sqlgate ${version} listening on ${baseUrl}`,
    '',
    'Environments:',
    ...environments.map((e) => `  ${baseUrl}/${e.name}/mcp   ${e.dialect.displayName}, ${e.config.readOnly ? 'read-only' : 'writable'}`),
    '',
    `Health: ${baseUrl}/health`,
    '',
    'Claude Code:',
    `  claude mcp add --transport http sqlgate-${first.name} ${url}`,
    '',
    'Claude Desktop (claude_desktop_config.json → "mcpServers"):',
    `  "sqlgate-${first.name}": { "command": "npx", "args": ["-y", "mcp-remote", "${url}"] }`,
    '',
    'MCP Inspector:',
    `  npx @modelcontextprotocol/inspector   → Transport "Streamable HTTP", URL ${url}`,
  ];
  if (sqlgate.config.source.kind === 'demo') {
    lines.push('', `Serving the built-in demo database (${sqlgate.config.source.file}). Run "sqlgate init" to configure your own.`);
  }
  return `${lines.join('\n')}\n`;
}
