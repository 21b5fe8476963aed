/**
 * `sqlgate tokens` as an operator runs it, in-process: `create` puts the token alone on stdout and everything else
 * on stderr, refuses what the user or the environment does not allow (storing nothing), and `list` and `revoke`
 * never show a token or its hash.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashToken } from '../../src/auth/personal-token.js';
import { EXIT_CONFIG, EXIT_FAILURE } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { openStateStore } from '../../src/store/open-state-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'correct horse battery';
const TOKEN = /^sqg_pat_[A-Za-z0-9_-]{43}\n$/;

/**
 * A config with a read-only `demo` and writable `analytics` and `sales`, and three users: alice may write demo and
 * analytics, bob may only read analytics, carol may write everywhere.
 */
async function workspace(extra: Record<string, unknown> = {}): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-tokens-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    log: { level: 'silent' },
    store: { url: `sqlite:${path.join(dir, 'state.sqlite')}` },
    environments: {
      demo: { database: 'sqlite:./demo.sqlite' },
      analytics: { database: 'sqlite:./analytics.sqlite', read_only: false },
      sales: { database: 'sqlite:./sales.sqlite', read_only: false },
    },
    ...extra,
  }));
  for (const args of [['alice', '--env', 'demo,analytics', '--write'], ['bob', '--env', 'analytics'], ['carol', '--all-envs', '--write']]) {
    const added = await sqlgate(dir, ['users', 'add', ...args, '--password-stdin'], PASSWORD);
    expect(added.code, added.stderr).toBe(0);
  }
  return dir;
}

async function sqlgate(cwd: string, args: string[], stdin?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', ...args],
    env: {},
    cwd,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
  });
  return { code, stdout, stderr };
}

const tokens = (cwd: string, args: string[]) => sqlgate(cwd, ['tokens', ...args]);

async function storedTokens(cwd: string) {
  const store = await openStateStore({ kind: 'sqlite', file: path.join(cwd, 'state.sqlite') });
  try {
    return await store.personalTokens.list();
  } finally {
    await store.close();
  }
}

async function findStored(cwd: string, token: string) {
  const store = await openStateStore({ kind: 'sqlite', file: path.join(cwd, 'state.sqlite') });
  try {
    return await store.personalTokens.findByHash(hashToken(token));
  } finally {
    await store.close();
  }
}

describe('sqlgate tokens create', () => {
  it('needs no database secret: creates tokens while another environment\'s ${VAR} is unset and its secret file absent', async () => {
    const cwd = await workspace({
      environments: {
        demo: { database: 'sqlite:./demo.sqlite' },
        analytics: { database: 'postgres://reader:${UNSET_PW}@db.internal/sales', read_only: false },
        sales: { database_file: './secrets/sales-url', read_only: false },
      },
    });
    const demo = await tokens(cwd, ['create', '--user', 'alice', '--env', 'demo']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(await findStored(cwd, demo.stdout.trim())).toMatchObject({ userName: 'alice', environment: 'demo', canWrite: false });
    // The environments whose databases were not loaded still say whether they are writable.
    const analytics = await tokens(cwd, ['create', '--user', 'alice', '--env', 'analytics', '--write']);
    expect(analytics.code, analytics.stderr).toBe(0);
    const readOnly = await tokens(cwd, ['create', '--user', 'alice', '--env', 'demo', '--write']);
    expect(readOnly.code).toBe(EXIT_FAILURE);
    expect(readOnly.stderr).toContain('The environment "demo" is read-only, so a token cannot write there.');
  });

  it('prints the token alone on stdout, explains on stderr, and stores only its hash (90 days by default)', async () => {
    const cwd = await workspace();
    const created = await tokens(cwd, ['create', '--user', 'Alice', '--env', 'analytics']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(TOKEN); // TOKEN=$(sqlgate tokens create …) gets exactly the token
    const token = created.stdout.trim();

    const stored = (await findStored(cwd, token))!;
    expect(stored).toMatchObject({ userName: 'alice', environment: 'analytics', canWrite: false });
    expect(stored.description).toBeUndefined();
    expect(stored.expiresAt!.getTime() - stored.createdAt.getTime()).toBeGreaterThan(90 * 86_400_000 - 5_000);
    expect(stored.expiresAt!.getTime() - stored.createdAt.getTime()).toBeLessThan(90 * 86_400_000 + 5_000);

    expect(created.stderr).not.toContain(token);
    expect(created.stderr).toContain(`Created personal access token ${stored.id} for alice on analytics (read only), expires ${stored.expiresAt!.toISOString().slice(0, 16)}Z.`);
    expect(created.stderr).toContain('cannot be shown again');
    expect(created.stderr).toContain(`sqlgate tokens revoke ${stored.id}`);
    expect(created.stderr).toContain('curl -H "Authorization: Bearer $TOKEN"');
    expect(created.stderr).toContain('http://127.0.0.1:8008/analytics/mcp');
    expect(created.stderr).toContain('claude mcp add --transport http sqlgate-analytics http://127.0.0.1:8008/analytics/mcp --header "Authorization: Bearer $TOKEN"');
    expect(fs.readFileSync(path.join(cwd, 'state.sqlite')).includes(Buffer.from(token))).toBe(false);
  });

  it('makes write tokens where both the user and the environment allow it, with a lifetime and a description', async () => {
    const cwd = await workspace({ auth: { public_url: 'https://data.example.com' } });
    const alice = await tokens(cwd, ['create', '--user', 'alice', '--env', 'analytics', '--write', '--ttl', 'never', '--description', 'nightly report job']);
    expect(alice.code, alice.stderr).toBe(0);
    expect(alice.stderr).toContain('(read, write), never expires.');
    expect(alice.stderr).toContain('claude mcp add --transport http sqlgate-analytics https://data.example.com/analytics/mcp');
    expect(await findStored(cwd, alice.stdout.trim())).toMatchObject({ canWrite: true, expiresAt: undefined, description: 'nightly report job' });

    const carol = await tokens(cwd, ['create', '--user', 'carol', '--env', 'sales', '--write', '--ttl', '12h']);
    expect(carol.code, carol.stderr).toBe(0);
    const stored = (await findStored(cwd, carol.stdout.trim()))!;
    expect(stored).toMatchObject({ userName: 'carol', environment: 'sales', canWrite: true });
    expect(stored.expiresAt!.getTime() - stored.createdAt.getTime()).toBeLessThan(12 * 3_600_000 + 5_000);

    const readOnly = await tokens(cwd, ['create', '--user', 'alice', '--env', 'demo']);
    expect(readOnly.code, readOnly.stderr).toBe(0);
    expect(readOnly.stdout).toMatch(TOKEN);
    expect(alice.stdout).not.toBe(readOnly.stdout);
  });

  it('refuses what the user or the environment does not allow, with a clear message and nothing stored', async () => {
    const cwd = await workspace();
    const cases: Array<[string[], number, string[]]> = [
      [['--user', 'alice', '--env', 'hr'], EXIT_CONFIG, ['There is no environment named "hr".', 'Configured environments: demo, analytics, sales.']],
      [['--user', 'nobody', '--env', 'demo'], EXIT_FAILURE, ['There is no user named "nobody".', 'sqlgate users list']],
      [['--user', 'bob', '--env', 'sales'], EXIT_FAILURE, [
        'bob may not use the environment "sales"',
        'bob may use: analytics. To grant "sales", run: sqlgate users roles bob --env analytics,sales',
      ]],
      [['--user', 'bob', '--env', 'analytics', '--write'], EXIT_FAILURE, [
        'bob may only read "analytics", so a token of theirs cannot write there.',
        'Leave out --write', 'sqlgate users roles bob --env analytics --write',
      ]],
      [['--user', 'alice', '--env', 'demo', '--write'], EXIT_FAILURE, ['The environment "demo" is read-only, so a token cannot write there.', 'read_only: false']],
      [['--user', 'carol', '--env', 'demo', '--write'], EXIT_FAILURE, ['The environment "demo" is read-only']],
      [['--user', 'alice', '--env', 'demo', '--ttl', '30 days'], EXIT_FAILURE, ['"30 days" is not a token lifetime.', 'such as 30d or 1y']],
      [['--user', 'alice', '--env', 'demo', '--ttl', '6y'], EXIT_FAILURE, ['longest token lifetime, 5 years']],
      [['--user', 'alice', '--env', 'demo', '--description', 'two\nlines'], EXIT_FAILURE, ['--description must be one line']],
      [['--env', 'demo'], EXIT_FAILURE, ["required option '-u, --user <name>' not specified"]],
      [['--user', 'alice'], EXIT_FAILURE, ["required option '-e, --env <name>' not specified"]],
    ];
    for (const [args, code, messages] of cases) {
      const result = await tokens(cwd, ['create', ...args]);
      expect(result.code, args.join(' ')).toBe(code);
      for (const message of messages) expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    expect(await storedTokens(cwd)).toEqual([]);
  });

  it('gives a user what their named roles give, by the rule the server applies, and names their roles in a grant hint', async () => {
    const cwd = await workspace({ roles: { analyst: { environments: { analytics: 'read', demo: 'read' } }, loader: { environments: { sales: 'write' } } } });
    expect((await sqlgate(cwd, ['users', 'add', 'rae', '--role', 'analyst', '--password-stdin'], PASSWORD)).code).toBe(0);
    expect((await sqlgate(cwd, ['users', 'add', 'lou', '--role', 'loader', '--password-stdin'], PASSWORD)).code).toBe(0);
    expect((await tokens(cwd, ['create', '--user', 'rae', '--env', 'analytics'])).stdout).toMatch(TOKEN);
    expect((await tokens(cwd, ['create', '--user', 'lou', '--env', 'sales', '--write'])).stdout).toMatch(TOKEN);
    const write = await tokens(cwd, ['create', '--user', 'rae', '--env', 'analytics', '--write']);
    expect(write.code).toBe(EXIT_FAILURE);
    expect(write.stderr).toContain('rae may only read "analytics", so a token of theirs cannot write there.');
    expect(write.stderr).toContain('sqlgate users roles rae --env analytics --write --role analyst');
    const other = await tokens(cwd, ['create', '--user', 'rae', '--env', 'sales']);
    expect(other.stderr).toContain('rae may use: role analyst. To grant "sales", run: sqlgate users roles rae --env sales --role analyst.');
    expect((await storedTokens(cwd)).map((t) => [t.userName, t.environment, t.canWrite])).toEqual([['rae', 'analytics', false], ['lou', 'sales', true]]);
  });
});

describe('sqlgate tokens create: the grant hint', () => {
  it('names only the named roles the configuration still defines, and warns when --write would change other environments', async () => {
    const cwd = await workspace({ roles: { analyst: { environments: { demo: 'read' } }, gone: { environments: { demo: 'read' } } } });
    expect((await sqlgate(cwd, ['users', 'add', 'rae', '--env', 'analytics', '--write', '--role', 'analyst,gone', '--password-stdin'], PASSWORD)).code).toBe(0);
    // The operator deletes the role "gone" from the configuration.
    const file = path.join(cwd, 'sqlgate.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n {2}gone:\n(?: {4}.*\n)+/, '\n'));
    const read = await tokens(cwd, ['create', '--user', 'rae', '--env', 'sales']);
    expect(read.code).toBe(EXIT_FAILURE);
    expect(read.stderr).toContain('rae may use: analytics, role analyst. To grant "sales", run: sqlgate users roles rae --env analytics,sales --role analyst');
    expect(read.stderr).not.toContain('gone');
    // A read token for sales, granted with one command, would make analytics read-only for rae: said, not done silently.
    expect(read.stderr).toContain('it would also make analytics read-only for rae');
    const write = await tokens(cwd, ['create', '--user', 'rae', '--env', 'sales', '--write']);
    expect(write.stderr).toContain('run: sqlgate users roles rae --env analytics,sales --write --role analyst.');
  });
});

describe('sqlgate tokens list and revoke', () => {
  it('lists tokens without the token or its hash, filters by user, and shows revocation', async () => {
    const cwd = await workspace();
    expect((await tokens(cwd, ['list'])).stdout).toContain('No personal access tokens.');
    const first = (await tokens(cwd, ['create', '--user', 'alice', '--env', 'analytics', '--write', '--description', 'ci job'])).stdout.trim();
    const second = (await tokens(cwd, ['create', '--user', 'bob', '--env', 'analytics', '--ttl', 'never'])).stdout.trim();
    const [a, b] = await storedTokens(cwd);

    const list = await tokens(cwd, ['list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+USER\s+ENV\s+ACCESS\s+CREATED\s+EXPIRES\s+LAST USED\s+STATE\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(new RegExp(`^${a!.id}\\s+alice\\s+analytics\\s+read/write\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\dZ\\s+\\d{4}-\\S+Z\\s+-\\s+active\\s+ci job$`));
    expect(lines[2]).toMatch(new RegExp(`^${b!.id}\\s+bob\\s+analytics\\s+read\\s+\\S+\\s+never\\s+-\\s+active$`));
    expect(lines).toHaveLength(3);

    const json = JSON.parse((await tokens(cwd, ['list', '--json'])).stdout);
    expect(json.tokens).toEqual([
      { id: a!.id, user: 'alice', environment: 'analytics', canWrite: true, description: 'ci job', createdAt: a!.createdAt.toISOString(), expiresAt: a!.expiresAt!.toISOString(), lastUsedAt: null, revokedAt: null, state: 'active' },
      { id: b!.id, user: 'bob', environment: 'analytics', canWrite: false, description: null, createdAt: b!.createdAt.toISOString(), expiresAt: null, lastUsedAt: null, revokedAt: null, state: 'active' },
    ]);
    expect(JSON.parse((await tokens(cwd, ['list', '--user', 'BOB', '--json'])).stdout).tokens.map((t: { id: string }) => t.id)).toEqual([b!.id]);
    expect((await tokens(cwd, ['list', '--user', 'nobody'])).stderr).toContain('There is no user named "nobody".');

    const revoked = await tokens(cwd, ['revoke', a!.id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked personal access token ${a!.id}.\n` });
    expect((await tokens(cwd, ['revoke', a!.id])).code).toBe(0); // again: still revoked, not an error
    const after = JSON.parse((await tokens(cwd, ['list', '--json'])).stdout).tokens;
    expect(after.map((t: { state: string }) => t.state)).toEqual(['revoked', 'active']);
    expect(after[0].revokedAt).toEqual(expect.any(String));
    expect((await tokens(cwd, ['list'])).stdout.split('\n')[1]).toContain('revoked');

    const unknown = await tokens(cwd, ['revoke', 'pat_000000000000']);
    expect(unknown.code).toBe(EXIT_FAILURE);
    expect(unknown.stderr).toBe('sqlgate: There is no personal access token with id "pat_000000000000".\nRun "sqlgate tokens list" to see them.\n');

    const outputs = [list.stdout, (await tokens(cwd, ['list', '--json'])).stdout, revoked.stdout];
    for (const token of [first, second]) {
      for (const output of outputs) {
        expect(output).not.toContain(token);
        expect(output).not.toContain(hashToken(token));
        expect(output).not.toContain('sqg_pat_');
      }
    }
  });

  it("deletes a user's tokens when the user is removed", async () => {
    const cwd = await workspace();
    await tokens(cwd, ['create', '--user', 'bob', '--env', 'analytics']);
    expect(await storedTokens(cwd)).toHaveLength(1);
    expect((await sqlgate(cwd, ['users', 'remove', 'bob'])).code).toBe(0);
    expect(await storedTokens(cwd)).toEqual([]);
  });

  it('has help for every tokens command', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-tokens-'));
    dirs.push(cwd);
    expect((await tokens(cwd, ['--help'])).stdout).toMatch(/create[\s\S]*list[\s\S]*revoke/);
    const create = await tokens(cwd, ['create', '--help']);
    for (const flag of ['--user', '--env', '--ttl', '--write', '--description']) expect(create.stdout).toContain(flag);
  });
});
