/**
 * The command line as a user meets it: help, version, init, and every way `serve` refuses to start, each
 * with a clear message, the right exit code and no stack trace.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { EXIT_CONFIG } from '../../src/cli/exit.js';
import { createSqlgate } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { SQLGATE_VERSION } from '../../src/version.js';

const dirs: string[] = [];
/** The demo, and an environment whose password only the server's environment sets (issue 8). */
const TWO_ENVIRONMENTS = 'log: { level: silent }\nenvironments:\n'
  + '  demo: { database: "sqlite:./data/demo.sqlite", demo: true }\n'
  + '  analytics: { database: "postgres://reader:${UNSET_PW}@db.internal/sales", password_file: ./secrets/missing }\n';
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-'));
  dirs.push(cwd);
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', ...args],
    env,
    cwd,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr, cwd };
}

describe('sqlgate CLI', () => {
  it('prints its version', async () => {
    const { code, stdout } = await cli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(SQLGATE_VERSION);
  });

  it('has useful help for every command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'stdio', 'init']) expect(top.stdout).toContain(command);
    const serve = await cli(['serve', '--help']);
    expect(serve.stdout).toContain('--port');
    expect(serve.stdout).toContain('--insecure-no-auth');
    const stdio = await cli(['stdio', '--help']);
    expect(stdio.stdout).toContain('--env');
  });

  it('init writes a commented config that loads and serves the demo', async () => {
    const { code, stdout, cwd } = await cli(['init']);
    expect(code).toBe(0);
    expect(stdout).toContain('sqlgate.yaml');
    const written = fs.readFileSync(path.join(cwd, 'sqlgate.yaml'), 'utf8');
    expect(written).toContain('# sqlgate configuration');
    const config = loadConfig({ env: {}, cwd });
    expect(config.environments.map((e) => e.name)).toEqual(['demo']);
    expect(config.environments[0]!.isDemo).toBe(true);
    // The demo's own tools, as the configuration-less demo serves them: one text for both.
    expect(config.environments[0]!.tools.defined.map((t) => t.name)).toEqual(['revenue_by_category', 'analyze_trends']);
    expect(config.environments[0]!.tools).toEqual(loadConfig({ env: {}, cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-nocfg-')) }).environments[0]!.tools);
  });

  it('init refuses to overwrite without --force', async () => {
    const first = await cli(['init', '--output', 'x.yaml']);
    fs.writeFileSync(path.join(first.cwd, 'sqlgate.yaml'), 'keep');
    const runAgain = await runCli({
      argv: ['node', 'sqlgate', 'init'],
      env: {},
      cwd: first.cwd,
      stdout: () => undefined,
      stderr: (t) => expect(t).toContain('already exists'),
    });
    expect(runAgain).toBe(EXIT_CONFIG);
    expect(fs.readFileSync(path.join(first.cwd, 'sqlgate.yaml'), 'utf8')).toBe('keep');
  });

  it('refuses a bad config with the key, the value and what is expected — and no stack trace', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-'));
    dirs.push(cwd);
    fs.writeFileSync(path.join(cwd, 'bad.yaml'), 'environments:\n  a:\n    database: "postgres://u:hunter2@h/db"\n    max_rows: -5\n');
    let stderr = '';
    const code = await runCli({ argv: ['node', 'sqlgate', 'serve', '--config', 'bad.yaml'], env: {}, cwd, stdout: () => undefined, stderr: (t) => void (stderr += t) });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain('environments.a.max_rows');
    expect(stderr).toContain('-5');
    expect(stderr).not.toContain('hunter2');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad port on the command line', async () => {
    const { code, stderr } = await cli(['serve', '--port', 'http']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('expected a port number');
  });

  it('refuses a non-loopback address without authentication', async () => {
    const { code, stderr } = await cli(['serve', '--host', '0.0.0.0', '--port', '0', '--auth', 'none']);
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain('Refusing to serve 0.0.0.0 without authentication');
    expect(stderr).toContain('--insecure-no-auth');
  });

  it('says which port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = await cli(['serve', '--port', String(port)]);
      expect(code).toBe(EXIT_CONFIG);
      expect(stderr).toContain(`Port ${port} on 127.0.0.1 is already in use.`);
    } finally {
      blocker.close();
    }
  });

  it('serve needs every environment\'s database secrets, and names the key and the variable that is missing', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-'));
    dirs.push(cwd);
    fs.writeFileSync(path.join(cwd, 'sqlgate.yaml'), TWO_ENVIRONMENTS);
    let stderr = '';
    const code = await runCli({ argv: ['node', 'sqlgate', 'serve', '--port', '0'], env: {}, cwd, stdout: () => undefined, stderr: (t) => void (stderr += t) });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toBe('sqlgate: environments.analytics.database uses ${UNSET_PW}, but UNSET_PW is not set in the environment.\n'
      + 'Export UNSET_PW, or write ${UNSET_PW:-default} to give a default.\n');
  });

  it('stdio --env demo opens and serves only demo, whatever the other environments need', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-'));
    dirs.push(cwd);
    fs.writeFileSync(path.join(cwd, 'sqlgate.yaml'), TWO_ENVIRONMENTS);
    // What `stdio --env demo` loads and builds (run-cli.ts), short of attaching the process's stdin.
    const config = loadConfig({ env: {}, cwd, overrides: { authMode: 'none' }, environmentsToOpen: ['demo'] });
    const sqlgate = await createSqlgate(config, createLogger('silent'));
    try {
      expect(sqlgate.environments.list().map((e) => e.name)).toEqual(['demo']);
      expect(sqlgate.serverFactory('demo')).toBeTypeOf('function');
      expect(() => sqlgate.serverFactory('analytics')).toThrow();
    } finally {
      await sqlgate.close();
    }
  });

  it('stdio refuses an unknown environment, naming the ones there are', async () => {
    const { code, stderr } = await cli(['stdio', '--env', 'prod']);
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain('There is no environment named "prod".');
    expect(stderr).toContain('demo');
  });
});
