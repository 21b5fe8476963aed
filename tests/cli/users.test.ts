/**
 * `sqlgate users` as an operator runs it, in-process: passwords from injected stdin or a (fake) terminal, the exit
 * code, what is printed (never a password or a hash), and state that is still there after the store is reopened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { EXIT_CONFIG, EXIT_FAILURE } from '../../src/cli/exit.js';
import type { CliStdin } from '../../src/cli/read-password.js';
import { runCli } from '../../src/cli/run-cli.js';
import { openAuditLog, openStateStore } from '../../src/store/open-state-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'correct horse battery';

/** A working directory with a config naming two environments (and `roles`, if given) and the state store at state/users.sqlite. */
function workspace(roles?: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-users-'));
  dirs.push(dir);
  writeConfig(dir, roles);
  return dir;
}

function writeConfig(dir: string, roles?: Record<string, unknown>): void {
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    log: { level: 'silent' },
    store: { url: 'sqlite:./state/users.sqlite' },
    ...(roles ? { roles } : {}),
    environments: { demo: { database: 'sqlite:./demo.sqlite' }, analytics: { database: 'sqlite:./analytics.sqlite' } },
  }));
}

async function users(cwd: string, args: string[], stdin?: CliStdin | string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', 'users', ...args],
    env: {},
    cwd,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin: typeof stdin === 'string' ? Readable.from([Buffer.from(stdin)]) : stdin,
  });
  return { code, stdout, stderr };
}

async function storedUser(cwd: string, name: string) {
  const store = await openStateStore({ kind: 'sqlite', file: path.join(cwd, 'state', 'users.sqlite') });
  try {
    return await store.users.get(name);
  } finally {
    await store.close();
  }
}

/** A stand-in terminal: readline sees a TTY it can put in raw mode, and reads what we type. */
function fakeTerminal(...lines: string[]): CliStdin {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  setTimeout(() => {
    for (const [i, line] of lines.entries()) setTimeout(() => input.write(`${line}\r`), 20 * (i + 1));
  }, 0);
  return input;
}

describe('sqlgate users', () => {
  it('adds users from --password-stdin, lists them and keeps them in the state store', async () => {
    const cwd = workspace();
    const alice = await users(cwd, ['add', 'alice', '--env', 'demo,analytics', '--write', '--password-stdin'], `${PASSWORD}\n`);
    expect(alice).toMatchObject({ code: 0, stderr: '' });
    expect(alice.stdout).toBe('Added user alice: analytics (read, write), demo (read, write).\n');
    const bob = await users(cwd, ['add', 'bob@example.com', '--all-envs', '--password-stdin'], PASSWORD);
    expect(bob.stdout).toBe('Added user bob@example.com: every environment (read).\n');

    const list = await users(cwd, ['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe([
      'NAME             ACCESS',
      'alice            analytics (read, write), demo (read, write)',
      'bob@example.com  every environment (read)',
      '',
    ].join('\n'));

    const json = await users(cwd, ['list', '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toEqual({
      users: [
        { name: 'alice', roles: [{ environment: 'analytics', canWrite: true }, { environment: 'demo', canWrite: true }], namedRoles: [], createdAt: expect.any(String), passwordChangedAt: expect.any(String) },
        { name: 'bob@example.com', roles: [{ environment: '*', canWrite: false }], namedRoles: [], createdAt: expect.any(String), passwordChangedAt: expect.any(String) },
      ],
    });
    expect(new Date(parsed.users[0].createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    for (const output of [list.stdout, json.stdout, alice.stdout]) {
      expect(output).not.toContain('argon2');
      expect(output).not.toContain(PASSWORD);
    }

    // A restart loses nothing: a fresh process (here: a fresh store handle) finds the user and the password works.
    const stored = await storedUser(cwd, 'alice');
    expect(await verifyPassword(stored!.passwordHash, PASSWORD)).toBe(true);
    expect(fs.statSync(path.join(cwd, 'state', 'users.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('lists nobody helpfully when there are no users', async () => {
    const cwd = workspace();
    expect((await users(cwd, ['list'])).stdout).toContain('No users yet');
    expect(JSON.parse((await users(cwd, ['list', '--json'])).stdout)).toEqual({ users: [] });
  });

  it('changes a password with passwd and removes a user', async () => {
    const cwd = workspace();
    await users(cwd, ['add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD);
    const passwd = await users(cwd, ['passwd', 'ALICE', '--password-stdin'], 'a different long passphrase\r\n');
    expect(passwd).toMatchObject({ code: 0, stdout: 'Changed the password of alice; their OAuth clients must sign in again.\n' });
    const stored = await storedUser(cwd, 'alice');
    expect(await verifyPassword(stored!.passwordHash, 'a different long passphrase')).toBe(true);
    expect(await verifyPassword(stored!.passwordHash, PASSWORD)).toBe(false);

    expect(await users(cwd, ['remove', 'alice'])).toMatchObject({ code: 0, stdout: 'Removed user alice.\n' });
    expect(await storedUser(cwd, 'alice')).toBeUndefined();
    const again = await users(cwd, ['remove', 'alice']);
    expect(again.code).toBe(EXIT_FAILURE);
    expect(again.stderr).toBe('sqlgate: There is no user named "alice".\nRun "sqlgate users list" to see them.\n');
    expect((await users(cwd, ['passwd', 'nobody', '--password-stdin'], PASSWORD)).stderr).toContain('There is no user named "nobody"');
  });

  it('asks twice on a terminal with echo off, and refuses when the two differ', async () => {
    const cwd = workspace();
    const added = await users(cwd, ['add', 'carol', '--env', 'demo'], fakeTerminal(PASSWORD, PASSWORD));
    expect(added.code).toBe(0);
    expect(added.stderr).toBe('New password: \nRepeat it: \n');
    expect(added.stdout).not.toContain(PASSWORD);
    expect(await verifyPassword((await storedUser(cwd, 'carol'))!.passwordHash, PASSWORD)).toBe(true);

    const differ = await users(cwd, ['passwd', 'carol'], fakeTerminal('first long passphrase', 'second long passphrase'));
    expect(differ.code).toBe(EXIT_FAILURE);
    expect(differ.stderr).toContain('The two passwords differ; nothing was changed.');
    expect(await verifyPassword((await storedUser(cwd, 'carol'))!.passwordHash, PASSWORD)).toBe(true);
  });

  it('refuses to prompt without a terminal unless --password-stdin is given', async () => {
    const cwd = workspace();
    for (const stdin of [undefined, PASSWORD]) {
      const result = await users(cwd, ['add', 'alice', '--env', 'demo'], stdin);
      expect(result.code).toBe(EXIT_FAILURE);
      expect(result.stderr).toContain('sqlgate: No terminal to ask for the password on.\nPass --password-stdin');
    }
    expect(await storedUser(cwd, 'alice')).toBeUndefined();
  });

  it('refuses bad input with a clear message, no stack trace and nothing stored', async () => {
    const cwd = workspace();
    const cases: Array<[string[], string | undefined, number, string]> = [
      [['add', 'bad name', '--env', 'demo', '--password-stdin'], PASSWORD, EXIT_FAILURE, '"bad name" is not a valid user name.'],
      [['add', 'alice', '--env', 'demo', '--password-stdin'], 'sh0rt-pw', EXIT_FAILURE, 'at least 12 characters'],
      [['add', 'alice', '--env', 'demo', '--password-stdin'], 'alice', EXIT_FAILURE, 'at least 12 characters'],
      [['add', 'alice', '--env', 'demo', '--password-stdin'], '', EXIT_FAILURE, 'standard input was empty'],
      [['add', 'alice', '--env', 'demo', '--password-stdin'], `${PASSWORD}\nsecond line`, EXIT_FAILURE, 'expected one line'],
      [['add', 'alice', '--env', 'demo', '--password-stdin'], 'x'.repeat(10_000), EXIT_FAILURE, 'too long for a password'],
      [['add', 'alice', '--env', 'demo,sales,hr', '--password-stdin'], PASSWORD, EXIT_CONFIG, 'There is no environment named "sales", "hr".\nConfigured environments: demo, analytics.'],
      [['add', 'alice', '--password-stdin'], PASSWORD, EXIT_FAILURE, '--env NAME[,NAME…] or --all-envs'],
      [['add', 'alice', '--env', 'demo', '--all-envs', '--password-stdin'], PASSWORD, EXIT_FAILURE, 'either --env or --all-envs'],
      [['add', 'alice', '--env', ' , ', '--password-stdin'], PASSWORD, EXIT_FAILURE, '--env names no environment'],
    ];
    for (const [args, stdin, code, message] of cases) {
      const result = await users(cwd, args, stdin);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      if (stdin) expect(result.stderr).not.toContain(stdin);
      expect(result.stdout).toBe('');
    }
    expect(JSON.parse((await users(cwd, ['list', '--json'])).stdout)).toEqual({ users: [] });

    await users(cwd, ['add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD);
    const taken = await users(cwd, ['add', 'Alice', '--env', 'demo', '--password-stdin'], PASSWORD);
    expect(taken.code).toBe(EXIT_FAILURE);
    expect(taken.stderr).toContain('A user named "Alice" already exists.');
  });

  it('uses the default store path under the working directory, and refuses a store URL that is neither SQLite nor PostgreSQL', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-users-'));
    dirs.push(cwd);
    // No config file: the built-in demo configuration and the default store.
    expect((await users(cwd, ['add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD)).code).toBe(0);
    expect(fs.statSync(path.join(cwd, 'data', 'sqlgate-state.sqlite')).mode & 0o777).toBe(0o600);

    fs.writeFileSync(path.join(cwd, 'sqlgate.yaml'), stringify({
      store: { url: 'mysql://sqlgate:hunter2-secret@db.internal/state' },
      environments: { demo: { database: 'sqlite:./demo.sqlite' } },
    }));
    const result = await users(cwd, ['list']);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toContain('- store.url: must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-state.sqlite" or '
      + '"postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate" (got "mysql://sqlgate:****@db.internal/state")\n');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('needs no database secret of any environment: a variable only the server sets, a secret file that is not here', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-users-'));
    dirs.push(cwd);
    fs.writeFileSync(path.join(cwd, 'sqlgate.yaml'), stringify({
      log: { level: 'silent' },
      store: { url: 'sqlite:./state/users.sqlite' },
      environments: {
        demo: { database: 'sqlite:./demo.sqlite' },
        analytics: { database: 'postgres://reader:${UNSET_PW}@db.internal/sales' },
        warehouse: { database_file: './secrets/warehouse-url' },
      },
    }));
    const added = await users(cwd, ['add', 'alice', '--env', 'demo,analytics,warehouse', '--password-stdin'], PASSWORD);
    expect(added).toMatchObject({ code: 0, stderr: '', stdout: 'Added user alice: analytics (read), demo (read), warehouse (read).\n' });
    const list = await users(cwd, ['list']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toContain('alice  analytics (read), demo (read), warehouse (read)');
    // Every configured environment is still known, and only those.
    const unknown = await users(cwd, ['add', 'bob', '--env', 'sales', '--password-stdin'], PASSWORD);
    expect(unknown.code).toBe(EXIT_CONFIG);
    expect(unknown.stderr).toBe('sqlgate: There is no environment named "sales".\nConfigured environments: demo, analytics, warehouse.\n');
  });

  it('has help for every users command', async () => {
    const cwd = workspace();
    const help = await runCli({ argv: ['node', 'sqlgate', 'users', '--help'], env: {}, cwd, stdout: (t) => expect(t).toMatch(/add[\s\S]*list[\s\S]*remove[\s\S]*passwd/), stderr: () => undefined });
    expect(help).toBe(0);
    const add = await users(cwd, ['add', '--help']);
    for (const flag of ['--env', '--all-envs', '--write', '--role', '--password-stdin']) expect(add.stdout).toContain(flag);
  });
});

describe('sqlgate users with named roles', () => {
  const ROLES = {
    analyst: { environments: { analytics: 'read', demo: 'read' } },
    ops: { environments: { demo: 'write' }, limits: { calls_per_minute: 600 } },
  };

  it('adds a user with --role, with or without environments of their own, and lists what they have', async () => {
    const cwd = workspace(ROLES);
    const bob = await users(cwd, ['add', 'bob', '--role', 'analyst', '--password-stdin'], PASSWORD);
    expect(bob).toMatchObject({ code: 0, stderr: '', stdout: 'Added user bob: role analyst.\n' });
    const carol = await users(cwd, ['add', 'carol', '--env', 'demo', '--role', 'ops, analyst', '--password-stdin'], PASSWORD);
    expect(carol.stdout).toBe('Added user carol: demo (read); roles analyst, ops.\n');
    expect(await storedUser(cwd, 'carol')).toMatchObject({ roles: [{ environment: 'demo', canWrite: false }], namedRoles: ['analyst', 'ops'] });

    expect((await users(cwd, ['list'])).stdout).toBe([
      'NAME   ACCESS',
      'bob    role analyst',
      'carol  demo (read); roles analyst, ops',
      '',
    ].join('\n'));
  });

  it('replaces environments and roles together with users roles --role', async () => {
    const cwd = workspace(ROLES);
    await users(cwd, ['add', 'bob', '--env', 'demo', '--write', '--password-stdin'], PASSWORD);
    const changed = await users(cwd, ['roles', 'bob', '--role', 'analyst,ops']);
    expect(changed).toMatchObject({ code: 0, stdout: 'bob may now use: roles analyst, ops.\n' });
    expect(await storedUser(cwd, 'bob')).toMatchObject({ roles: [], namedRoles: ['analyst', 'ops'] });
    expect((await users(cwd, ['roles', 'bob', '--all-envs'])).stdout).toBe('bob may now use: every environment (read).\n');
    expect(await storedUser(cwd, 'bob')).toMatchObject({ roles: [{ environment: '*', canWrite: false }], namedRoles: [] });

    const store = await openAuditLog({ kind: 'sqlite', file: path.join(cwd, 'data', 'sqlgate-audit.sqlite') });
    try {
      const records = (await store.list({ kind: 'admin' }, 100)).map((r) => JSON.parse(r.payload) as Record<string, any>);
      expect(records.map((r) => r.details)).toEqual([
        { roles: [{ environment: 'demo', canWrite: true }], named_roles: [] },
        { before: [{ environment: 'demo', canWrite: true }], after: [], named_roles_before: [], named_roles_after: ['analyst', 'ops'] },
        { before: [], after: [{ environment: '*', canWrite: false }], named_roles_before: ['analyst', 'ops'], named_roles_after: [] },
      ]);
    } finally {
      await store.close();
    }
  });

  it('says a role the configuration no longer has is unknown (it gives nothing)', async () => {
    const cwd = workspace(ROLES);
    await users(cwd, ['add', 'bob', '--role', 'analyst,ops', '--password-stdin'], PASSWORD);
    writeConfig(cwd, { analyst: ROLES.analyst });
    expect((await users(cwd, ['list'])).stdout).toBe('NAME  ACCESS\nbob   roles analyst, ops (unknown: not in the configuration, gives nothing)\n');
    expect(JSON.parse((await users(cwd, ['list', '--json'])).stdout).users[0].namedRoles).toEqual([
      { name: 'analyst', isConfigured: true },
      { name: 'ops', isConfigured: false },
    ]);
  });

  it('refuses unknown roles (with the nearest name), --write with roles alone, and --role naming nothing', async () => {
    const cwd = workspace(ROLES);
    const cases: Array<[string[], number, string]> = [
      [['add', 'bob', '--role', 'analyts,nobody', '--password-stdin'], EXIT_CONFIG,
        'sqlgate: There is no role named "analyts", "nobody".\nDid you mean "analyst"? Configured roles: analyst, ops.\n'],
      [['add', 'bob', '--role', 'analyst', '--write', '--password-stdin'], EXIT_FAILURE,
        'sqlgate: --write applies to the environments of --env or --all-envs; a named role says itself whether it writes.\n'],
      [['add', 'bob', '--role', ' , ', '--password-stdin'], EXIT_FAILURE, 'sqlgate: --role names no role.\nConfigured roles: analyst, ops.\n'],
      [['add', 'bob', '--password-stdin'], EXIT_FAILURE,
        'sqlgate: Say what the user may use: --env NAME[,NAME…] or --all-envs, --role ROLE[,ROLE…], or both.\nConfigured environments: demo, analytics. Configured roles: analyst, ops.\n'],
    ];
    for (const [args, code, stderr] of cases) {
      expect(await users(cwd, args, PASSWORD), args.join(' ')).toEqual({ code, stdout: '', stderr });
    }
    await users(cwd, ['add', 'bob', '--env', 'demo', '--password-stdin'], PASSWORD);
    expect((await users(cwd, ['roles', 'bob', '--role', 'opps'])).stderr).toBe('sqlgate: There is no role named "opps".\nDid you mean "ops"? Configured roles: analyst, ops.\n');
    expect(await storedUser(cwd, 'bob')).toMatchObject({ roles: [{ environment: 'demo', canWrite: false }], namedRoles: [] });

    const bare = workspace();
    expect((await users(bare, ['add', 'bob', '--role', 'analyst', '--password-stdin'], PASSWORD)).stderr)
      .toBe('sqlgate: There is no role named "analyst".\nNo roles are configured: define them under "roles" in the configuration (docs/configuration.md).\n');
  });
});

describe('admin commands in the audit trail', () => {
  it('records who added, changed and removed a user, and never the password', async () => {
    const cwd = workspace();
    expect((await users(cwd, ['add', 'carol', '--env', 'demo', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(0);
    expect((await users(cwd, ['roles', 'carol', '--env', 'demo,analytics'])).code).toBe(0);
    expect((await users(cwd, ['passwd', 'carol', '--password-stdin'], `${PASSWORD} again\n`)).code).toBe(0);
    expect((await users(cwd, ['remove', 'carol'])).code).toBe(0);
    expect((await users(cwd, ['list'])).code).toBe(0);
    const store = await openAuditLog({ kind: 'sqlite', file: path.join(cwd, 'data', 'sqlgate-audit.sqlite') });
    try {
      const records = (await store.list({ kind: 'admin' }, 100)).map((r) => JSON.parse(r.payload) as Record<string, any>);
      expect(records.map((r) => r.action)).toEqual(['users add', 'users roles', 'users passwd', 'users remove']);
      expect(records[0]).toMatchObject({ kind: 'admin', verdict: 'allowed', user: 'carol', actor: os.userInfo().username, details: { roles: [{ environment: 'demo', canWrite: false }] } });
      expect(records[1]!.details.after).toEqual([{ environment: 'demo', canWrite: false }, { environment: 'analytics', canWrite: false }]);
      expect(JSON.stringify(records)).not.toContain(PASSWORD);
    } finally {
      await store.close();
    }
  });
});
