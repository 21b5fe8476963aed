/**
 * No secret reaches a log line or an audit record: each kind is seeded with a unique canary — a user's password, a
 * connection-string password, a personal access token, a confidential client's secret, authorization codes,
 * access and refresh tokens — then the whole OAuth flow, a tool call and the admin commands run, and every log
 * line (server and CLI) and every audit record is searched for every canary.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/run-cli.js';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { FormBrowser, mcpCall, pkcePair, postForm, postJson } from '../support/oauth-client.js';
import { startApp, type RunningApp } from '../support/start-app.js';

const canary = (kind: string) => `canary${kind}${randomBytes(8).toString('hex')}`;
const PASSWORD = canary('password');
const DB_PASSWORD = canary('dbpassword');
const REDIRECT = 'http://127.0.0.1:8765/callback';

let app: RunningApp;
const logLines: string[] = [];
let cliOutput = '';

async function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', ...args, '--config', path.join(app.dir, 'sqlgate.yaml')],
    env: {},
    cwd: app.dir,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (cliOutput += t),
    stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
  });
  return { code, stdout };
}

beforeAll(async () => {
  app = await startApp({
    log: { level: 'trace' },
    auth: { mode: 'oauth' },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite', demo: true },
      // Never connected to in this test: its password must still stay out of every log line.
      remote: { database: `postgres://reader:${DB_PASSWORD}@127.0.0.1:1/sales`, connect_timeout_ms: 500 },
    },
  }, { logger: createLogger('trace', { write: (line: string) => void logLines.push(line) }) });
  // The CLI reads the same file the app was started from.
  fs.writeFileSync(path.join(app.dir, 'sqlgate.yaml'), stringify({
    log: { level: 'trace' },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true }, remote: { database: `postgres://reader:${DB_PASSWORD}@127.0.0.1:1/sales` } },
  }));
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('secrets in logs and the audit trail', () => {
  it('keeps every canary out of every log line and audit record', async () => {
    const base = app.baseUrl;
    expect((await cli(['users', 'add', 'alice', '--env', 'demo', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(0);
    const token = (await cli(['tokens', 'create', '--user', 'alice', '--env', 'demo'])).stdout.trim();
    expect(token.length).toBeGreaterThan(20);
    const listed = await mcpCall(`${base}/demo/mcp`, token, 'tools/list');
    expect(listed.status, JSON.stringify({ token, body: listed.body })).toBe(200);

    // A confidential client: its secret, its code, its tokens.
    const registration = await postJson(`${base}/register`, { client_name: 'canary client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' });
    expect(registration.status).toBe(201);
    const clientSecret = registration.body.client_secret as string;
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: registration.body.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', resource: `${base}/demo/mcp` });
    // A wrong password first (it is a secret too), then the right one.
    await new FormBrowser(base).authorize(`${base}/authorize?${query}`, 'alice', `${PASSWORD}wrong`).catch(() => undefined);
    const callback = await new FormBrowser(base).authorize(`${base}/authorize?${query}`, 'alice', PASSWORD);
    const code = callback.searchParams.get('code')!;
    const tokens = await postForm(`${base}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: registration.body.client_id, client_secret: clientSecret });
    expect(tokens.status).toBe(200);
    const call = await mcpCall(`${base}/demo/mcp`, tokens.body.access_token, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT COUNT(*) FROM orders' } });
    expect(call.status).toBe(200);
    await postForm(`${base}/revoke`, { token: tokens.body.refresh_token, client_id: registration.body.client_id, client_secret: clientSecret });
    // The code again: a replay, refused and recorded (and the provider ends the grant).
    await postForm(`${base}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: registration.body.client_id, client_secret: clientSecret });
    const tokenId = token.split('_')[1] ?? '';
    expect((await cli(['users', 'passwd', 'alice', '--password-stdin'], `${PASSWORD}next\n`)).code).toBe(0);
    expect((await cli(['tokens', 'list'])).code).toBe(0);
    expect((await cli(['keys', 'rotate'])).code).toBe(0);

    const store = await openAuditLog({ kind: 'sqlite', file: path.join(app.dir, 'data', 'sqlgate-audit.sqlite') });
    const records = (await store.list({}, 10_000)).map((row) => row.payload);
    await store.close();
    // The places a secret could have gone: sign-ins (one failed), tokens, the tool call, the admin commands.
    const actions = records.map((payload) => { const r = JSON.parse(payload) as Record<string, string>; return r.action ?? r.tool; });
    expect(actions).toEqual(expect.arrayContaining(['users add', 'tokens create', 'client_registered', 'sign_in_failed', 'sign_in', 'token_issued', 'execute_sql', 'token_refused', 'users passwd', 'keys rotate']));
    expect(logLines.length).toBeGreaterThan(5);
    const everything = [...logLines, ...records, cliOutput].join('\n');
    // The search does reach what was recorded: the client's public id and the user are there, their secrets not.
    expect(everything).toContain(registration.body.client_id as string);
    expect(everything).toContain('alice');
    const canaries = { PASSWORD, DB_PASSWORD, token, clientSecret, code, access: tokens.body.access_token as string, refresh: tokens.body.refresh_token as string };
    for (const [kind, value] of Object.entries(canaries)) {
      expect(value.length, kind).toBeGreaterThan(8);
      expect(everything.includes(value), `${kind} leaked`).toBe(false);
    }
    // The token's public id may be named; the secret part never.
    expect(tokenId.length).toBeGreaterThan(0);
  }, 60_000);
});
