/** A restart loses no session: tokens issued before it still work after it, refresh continues, keys stay. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { mcpCall, obtainTokens, postForm, TEST_PASSWORD } from '../support/oauth-client.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-restart-'));
let app: RunningApp | undefined;

afterAll(async () => {
  await app?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('restart', () => {
  it('keeps clients, grants, tokens and signing keys', async () => {
    const config = {
      auth: { mode: 'oauth' },
      store: { url: `sqlite:${path.join(dir, 'state.sqlite')}` },
      environments: { demo: { database: `sqlite:${path.join(dir, 'demo.sqlite')}`, demo: true } },
    };
    const port = await freePort();
    app = await startApp(config, { port });
    await app.sqlgate.store!.users.add({ name: 'alice', passwordHash: await hashPassword(TEST_PASSWORD), roles: [{ environment: 'demo', canWrite: false }] });
    const base = app.baseUrl;
    const tokens = await obtainTokens(base, { user: 'alice', resource: `${base}/demo/mcp` });
    const jwksBefore = await (await fetch(`${base}/jwks`)).json();
    expect((await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/list')).status).toBe(200);
    await app.stop();
    app = undefined;

    app = await startApp(config, { port });
    expect(app.baseUrl).toBe(base);
    // The client's keep-alive pool may still hold a socket to the stopped server: the first request can meet it.
    const jwksAfter = await fetch(`${base}/jwks`).catch(() => fetch(`${base}/jwks`));
    expect(await jwksAfter.json()).toEqual(jwksBefore);
    const listed = await mcpCall(`${base}/demo/mcp`, tokens.access_token, 'tools/call', { name: 'list_tables', arguments: {} });
    expect(listed.status).toBe(200);
    expect(listed.body.result?.isError).toBeFalsy();
    const refreshed = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tokens.clientId });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect((await mcpCall(`${base}/demo/mcp`, refreshed.body.access_token, 'tools/list')).status).toBe(200);
  }, 60_000);
});
