/**
 * sqlgate as the benchmark runs it: `node dist/main.js serve` with one read-only environment named after the
 * engine, in one of two set-ups:
 *   - `oauth` (as deployed): auth.mode oauth (the default); a user and a personal access token are made with the CLI
 *     (`users add`, `tokens create`, as bench/soak.ts does) and every call carries the token, which sqlgate checks
 *     against its SQLite state store;
 *   - `none`: auth.mode none, no token: what the HTTP + MCP + statement gate path costs without sign-in.
 * Each has its own config and state store under bench/.work/, so the two run side by side.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mcpTarget } from './load.mjs';
import { startNodeProcess } from './procs.mjs';

/**
 * sqlgate's result size budget (max_result_chars, default 100,000) would cut the 1000-row result at about 840 of
 * these rows; the benchmark raises it so that the 1000-row request really returns 1000 rows. Everything else,
 * including max_rows (1000), stays at its default. The budget is still computed for every result.
 */
export const MAX_RESULT_CHARS = 1_000_000;

export const SQLGATE_MODES = {
  oauth: { key: 'sqlgate', label: 'sqlgate (OAuth)' },
  none: { key: 'sqlgate-open', label: 'sqlgate (auth off)' },
};

/** Thrown when this build has no dialect for the engine: the caller reports sqlgate as skipped. */
export class DialectNotBuilt extends Error {}

/**
 * Writes the config (and for `oauth` the user and token), starts `serve` on a free port and resolves once it
 * listens. The returned process record carries `key`, `label`, `healthPath` and `target(request)` (null for a
 * request it has no tool for).
 */
export async function startSqlgate({ root, work, engine, title, database, mode }) {
  const { key, label } = SQLGATE_MODES[mode];
  const main = path.join(root, 'dist', 'main.js');
  const configFile = path.join(work, `sqlgate-${engine}-${mode}.yaml`);
  const stateFile = path.join(work, `state-${engine}-${mode}.sqlite`);
  fs.rmSync(stateFile, { force: true });
  const environment = { database, read_only: true, max_result_chars: MAX_RESULT_CHARS };
  fs.writeFileSync(configFile, [
    'log: { level: warn }',
    `store: ${JSON.stringify({ url: `sqlite:${stateFile}` })}`,
    ...(mode === 'none' ? ['auth: { mode: none }'] : []),
    'environments:',
    `  ${engine}: ${JSON.stringify(environment)}`,
    '',
  ].join('\n'));
  try {
    let token = null;
    if (mode === 'oauth') {
      const cli = (args, input) => execFileSync(process.execPath, [main, ...args, '--config', configFile], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
      cli(['users', 'add', 'bench', '--all-envs', '--password-stdin'], 'a benchmark password that is long enough');
      token = cli(['tokens', 'create', '--user', 'bench', '--env', engine, '--ttl', '1d']).trim();
    }
    const server = await startNodeProcess(`${label} (${title})`, [main, 'serve', '--config', configFile, '--port', '0']);
    // The process record is live (its exit flag changes): add to it, don't copy it.
    return Object.assign(server, {
      key, label, token, healthPath: '/health',
      target: (request) => sqlgateTarget(server.port, engine, token, request),
    });
  } catch (err) {
    const text = `${err.message}\n${err.stderr ?? ''}`;
    if (/dialect \w+ is not built yet/.test(text)) throw new DialectNotBuilt(`${title} dialect not available in this build`);
    throw err;
  }
}

/** execute_sql for SQL, list_tables otherwise; sqlgate answers with structuredContent in the checked shape. */
function sqlgateTarget(port, environment, token, request) {
  const where = { port, path: `/${environment}/mcp`, token };
  return request.sql
    ? mcpTarget({ ...where, tool: 'execute_sql', args: { query: request.sql } })
    : mcpTarget({ ...where, tool: 'list_tables', args: {} });
}
