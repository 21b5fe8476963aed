/** What `sqlgate serve` prints once it listens: the URLs and ready-to-paste client snippets. */
import type { Sqlgate } from '../app.js';

/** Claude Desktop starts servers in its own directory: name the config (or the demo's folder) explicitly. */
function configArgs(sqlgate: Sqlgate, cwd: string): string[] {
  const source = sqlgate.config.source;
  if (source.kind === 'file') return ['--config', source.path];
  return ['--dir', cwd];
}

export function startBanner(sqlgate: Sqlgate, baseUrl: string, version: string, mainPath: string, cwd: string, userCount?: number): string {
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
    'Claude Desktop (claude_desktop_config.json → "mcpServers"), launching sqlgate over stdio:',
    `  "sqlgate-${first.name}": { "command": ${JSON.stringify(process.execPath)}, "args": ${JSON.stringify([mainPath, 'stdio', '--env', first.name, ...configArgs(sqlgate, cwd)])} }`,
    '',
    'MCP Inspector:',
    `  npx @modelcontextprotocol/inspector   → Transport "Streamable HTTP", URL ${url}`,
  ];
  const { auth } = sqlgate.config;
  if (auth.mode === 'oauth') {
    lines.push('', `OAuth: sqlgate signs users in (issuer ${auth.publicUrl ?? baseUrl}; metadata at /.well-known/oauth-authorization-server).`);
    if (!auth.publicUrl) lines.push('  Behind a proxy or on a domain, set auth.public_url (or --public-url) to the URL users reach.');
    if (userCount === 0) {
      lines.push('  No users yet — nobody can sign in. Create one:', `    sqlgate users add alice --env ${first.name}${sqlgate.config.source.kind === 'file' ? ` --config ${sqlgate.config.source.path}` : ''}`);
    }
    lines.push(`  For scripts and header-configured clients: sqlgate tokens create --user alice --env ${first.name}`);
  } else {
    lines.push('', 'Authentication is off (auth.mode: none): anyone who can reach this address can query every environment.');
  }
  if (sqlgate.config.source.kind === 'demo') {
    lines.push('', `Serving the built-in demo database (${sqlgate.config.source.file}). Run "sqlgate init" to configure your own.`);
  }
  return `${lines.join('\n')}\n`;
}
