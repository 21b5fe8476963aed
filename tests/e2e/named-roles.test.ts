/**
 * Named roles end to end, through sqlgate's own OAuth server: a user who has only a named role gets the scopes it
 * gives (read works, write is refused with 403 insufficient_scope; a role that writes may write), their role's
 * limits apply where they are the stricter, and once the role is removed from the configuration (a restart on the
 * same state store) the token they hold stops and a new sign-in is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { mcpCall, obtainTokens, TEST_PASSWORD } from '../support/oauth-client.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-named-roles-'));
const scratchFile = path.join(dir, 'scratch.sqlite');

const ROLES = {
  analyst: { environments: { demo: 'read', scratch: 'read' } },
  editor: { environments: { scratch: 'write' } },
  metered: { environments: { demo: 'read' }, limits: { calls_per_minute: 2 } },
};

/** Both apps share the state store, the audit file and the port (a token's audience names the port). */
function configWith(roles: Record<string, unknown>) {
  return {
    auth: { mode: 'oauth' },
    store: { url: `sqlite:${path.join(dir, 'state.sqlite')}` },
    audit: { url: `sqlite:${path.join(dir, 'audit.sqlite')}` },
    roles,
    environments: {
      demo: { database: `sqlite:${path.join(dir, 'demo.sqlite')}`, demo: true, limits: { calls_per_minute: 100 } },
      scratch: { database: `sqlite:${scratchFile}`, read_only: false },
    },
  };
}

let port: number;
let app: RunningApp;
let base: string;

beforeAll(async () => {
  const scratch = new Database(scratchFile);
  scratch.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
  scratch.close();
  port = await freePort();
  app = await startApp(configWith(ROLES), { port });
  base = app.baseUrl;
  const passwordHash = await hashPassword(TEST_PASSWORD);
  for (const [name, namedRoles] of [['rae', ['analyst']], ['wes', ['editor']], ['mia', ['metered']]] as const) {
    await app.sqlgate.store!.users.add({ name, passwordHash, roles: [], namedRoles: [...namedRoles] });
  }
}, 60_000);

afterAll(async () => {
  await app?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The sign-in pages stop at "No access" (403) for a signed-in user nothing gives the environment to. */
const NO_ACCESS_PAGE = /^unexpected page 403 at http:\/\/127\.0\.0\.1:\d+\/interaction\//;

const sql = (query: string) => ({ name: 'execute_sql', arguments: { query } });

function notesCount(): number {
  const db = new Database(scratchFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('named roles', () => {
  it('lets a user who has only a read role read, and refuses their writes', async () => {
    const tokens = await obtainTokens(base, { user: 'rae', resource: `${base}/scratch/mcp`, scope: 'sql:read sql:write' });
    expect(tokens.scope).toBe('sql:read'); // the role gives read only, whatever the client asked for
    const read = await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/call', sql('SELECT count(*) AS n FROM notes'));
    expect(read.status).toBe(200);
    expect(read.body.result?.isError, JSON.stringify(read.body)).toBeFalsy();

    const write = await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/call', sql("INSERT INTO notes (body) VALUES ('nope')"));
    expect(write.status).toBe(403);
    expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(write.body.error).toBe('SG_INSUFFICIENT_SCOPE');
    expect(notesCount()).toBe(0);
  });

  it('lets a role that writes write, and gives nothing where the role does not reach', async () => {
    const tokens = await obtainTokens(base, { user: 'wes', resource: `${base}/scratch/mcp`, scope: 'sql:read sql:write' });
    expect(tokens.scope?.split(' ').sort()).toEqual(['sql:read', 'sql:write']);
    const write = await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/call', sql("INSERT INTO notes (body) VALUES ('written')"));
    expect(write.body.result?.isError, JSON.stringify(write.body)).toBeFalsy();
    expect(notesCount()).toBe(1);
    await expect(obtainTokens(base, { user: 'wes', resource: `${base}/demo/mcp` })).rejects.toThrow(NO_ACCESS_PAGE);
  });

  it('applies the role\'s limit where it is stricter than the environment\'s', async () => {
    const tokens = await obtainTokens(base, { user: 'mia', resource: `${base}/demo/mcp` });
    for (let i = 0; i < 2; i++) {
      const allowed = await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/call', sql('SELECT 1 AS one'));
      expect(allowed.body.result?.isError, JSON.stringify(allowed.body)).toBeFalsy();
    }
    const refused = await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/call', sql('SELECT 1 AS one'));
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/^Limit reached: calls_per_minute is 2 for mia in environment "demo"\. Retry in \d+ s\.$/);
    // rae reads demo without that role: the environment's 100 a minute.
    const other = await obtainTokens(base, { user: 'rae', resource: `${base}/demo/mcp` });
    for (let i = 0; i < 3; i++) expect((await mcpCall(`${base}/demo/mcp`, other.access_token, 'tools/call', sql('SELECT 1 AS one'))).status).toBe(200);
  });

  it('gives no access once the role is removed from the configuration: the held tokens stop, a new sign-in is refused', async () => {
    const tokens = await obtainTokens(base, { user: 'rae', resource: `${base}/scratch/mcp` });
    expect((await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/list')).status).toBe(200);
    const personal = generatePersonalToken();
    await app.sqlgate.store!.personalTokens.add({ id: personal.id, tokenHash: personal.tokenHash, userName: 'rae', environment: 'scratch', canWrite: false });
    expect((await mcpCall(`${base}/scratch/mcp`, personal.token, 'tools/list')).status).toBe(200);

    await app.stop();
    const { analyst: _removed, ...rest } = ROLES;
    app = await startApp(configWith(rest), { port });
    expect(app.baseUrl).toBe(base);
    expect((await app.sqlgate.store!.users.get('rae'))!.namedRoles).toEqual(['analyst']); // still stored, giving nothing

    const refused = await mcpCall(`${base}/scratch/mcp`, tokens.access_token, 'tools/list');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(refused.body.error).toBe('SG_INSUFFICIENT_SCOPE');
    expect((await mcpCall(`${base}/scratch/mcp`, personal.token, 'tools/list')).status).toBe(403);
    await expect(obtainTokens(base, { user: 'rae', resource: `${base}/scratch/mcp` })).rejects.toThrow(NO_ACCESS_PAGE);
    // The roles that are still configured still work.
    const wes = await obtainTokens(base, { user: 'wes', resource: `${base}/scratch/mcp` });
    expect((await mcpCall(`${base}/scratch/mcp`, wes.access_token, 'tools/list')).status).toBe(200);
  }, 60_000);
});
