/**
 * sqlgate backup / restore: a consistent copy of the state store and the audit trail in one file, restored into a
 * fresh instance where a personal token issued before the backup still works and the trail still verifies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/run-cli.js';
import { EXIT_FAILURE } from '../../src/cli/exit.js';
import { mcpCall } from '../support/oauth-client.js';
import { startApp } from '../support/start-app.js';

const PASSWORD = 'correct horse battery staple';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A directory with a config whose stores are SQLite files in it (under `data/`). */
function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-backup-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
    log: { level: 'silent' },
    auth: { mode: 'oauth' },
    store: { url: 'sqlite:./data/state.sqlite' },
    audit: { url: 'sqlite:./data/audit.sqlite' },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
  }));
  return dir;
}

async function sqlgate(cwd: string, args: string[], stdin?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', ...args], env: {}, cwd,
    stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t),
    stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
  });
  return { code, stdout, stderr };
}

describe('sqlgate backup and restore', () => {
  it('restores into a fresh instance, where a token issued before the backup works and the trail verifies', async () => {
    const source = workspace();
    expect((await sqlgate(source, ['users', 'add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD)).code).toBe(0);
    const created = await sqlgate(source, ['tokens', 'create', '--user', 'alice', '--env', 'demo']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    const file = path.join(source, 'backup.sqlgate');
    const backup = await sqlgate(source, ['backup', file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/^Backed up state \(\d+ bytes\) and audit \(\d+ bytes\) to /);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Changed after the backup: not in it.
    expect((await sqlgate(source, ['users', 'add', 'bob', '--env', 'demo', '--password-stdin'], PASSWORD)).code).toBe(0);

    const target = workspace();
    const restored = await sqlgate(target, ['restore', file]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('The state store opens: 1 user.');
    expect(restored.stdout).toMatch(/The restored audit trail verifies: \d+ records\./);
    const users = await sqlgate(target, ['users', 'list']);
    expect(users.stdout).toContain('alice');
    expect(users.stdout).not.toContain('bob');
    expect((await sqlgate(target, ['audit', 'verify'])).code).toBe(0);
    expect((await sqlgate(target, ['audit', 'list', '--kind', 'admin', '--format', 'jsonl'])).stdout).toContain('"action":"restore"');

    const app = await startApp(JSON.parse(JSON.stringify({
      auth: { mode: 'oauth' },
      store: { url: `sqlite:${path.join(target, 'data', 'state.sqlite')}` },
      audit: { url: `sqlite:${path.join(target, 'data', 'audit.sqlite')}` },
      environments: { demo: { database: `sqlite:${path.join(target, 'demo.sqlite')}`, demo: true } },
    })));
    try {
      const listed = await mcpCall(`${app.baseUrl}/demo/mcp`, token, 'tools/list');
      expect(listed.status).toBe(200);
      expect(listed.body.result.tools.map((t: { name: string }) => t.name)).toContain('execute_sql');
    } finally {
      await app.stop();
    }
  });

  it('never overwrites: an existing backup file, or existing stores without --force', async () => {
    const source = workspace();
    expect((await sqlgate(source, ['users', 'add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD)).code).toBe(0);
    const file = path.join(source, 'backup.sqlgate');
    expect((await sqlgate(source, ['backup', file])).code).toBe(0);
    const nowhere = await sqlgate(source, ['backup', path.join(source, 'no', 'such', 'dir', 'b.sqlgate')]);
    expect(nowhere.code).toBe(EXIT_FAILURE);
    expect(nowhere.stderr).toContain('does not exist');
    expect(nowhere.stderr).toContain('mkdir -p');
    const again = await sqlgate(source, ['backup', file]);
    expect(again.code).toBe(EXIT_FAILURE);
    expect(again.stderr).toContain('already exists; a backup never overwrites a file');
    const onto = await sqlgate(source, ['restore', file]);
    expect(onto.code).toBe(EXIT_FAILURE);
    expect(onto.stderr).toContain('already exists; restoring would replace it');
    expect(onto.stderr).toContain('--force');
    expect((await sqlgate(source, ['restore', file, '--force'])).code).toBe(0);
  });

  it('refuses a file that is not a backup, and a damaged one, with a clear message and no stack', async () => {
    const dir = workspace();
    const nothing = await sqlgate(dir, ['backup', path.join(dir, 'early.sqlgate')]);
    expect(nothing.code).toBe(EXIT_FAILURE);
    expect(nothing.stderr).toContain('There is no state store at');
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const notBackup = await sqlgate(dir, ['restore', text]);
    expect(notBackup.code).toBe(EXIT_FAILURE);
    expect(notBackup.stderr).toContain('is not a sqlgate backup');

    expect((await sqlgate(dir, ['users', 'add', 'alice', '--env', 'demo', '--password-stdin'], PASSWORD)).code).toBe(0);
    const file = path.join(dir, 'backup.sqlgate');
    expect((await sqlgate(dir, ['backup', file])).code).toBe(0);
    const db = new Database(file);
    db.prepare("UPDATE parts SET content = zeroblob(length(content)) WHERE name = 'state'").run();
    db.close();
    const target = workspace();
    const damaged = await sqlgate(target, ['restore', file]);
    expect(damaged.code).toBe(EXIT_FAILURE);
    expect(damaged.stderr).toContain('does not match its recorded SHA-256');
    expect(fs.existsSync(path.join(target, 'data', 'state.sqlite'))).toBe(false);
    for (const result of [notBackup, damaged]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
