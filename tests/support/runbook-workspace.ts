/**
 * docs/operations/deploy.md's machine in a temp directory, for tests/docs/runbooks.test.ts: /etc/sqlgate,
 * /var/lib/sqlgate, /var/backups/sqlgate, /etc/letsencrypt and /backups under it, deploy.md's sqlgate.yaml (on free
 * ports), its `sqlgate` wrapper and its systemd unit's ExecStart. A runbook command runs in bash exactly as written,
 * except for what `rewrite` changes: those paths, the two ports, and example ids the test created for real.
 *
 * The workspace belongs to the test's user, so nothing switches users: the wrapper's `sudo -u sqlgate --` is left
 * out, and `sudo` on the PATH is a stand-in that runs its command as that user.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { fencedBlockStartingWith, hereDocumentOf, readShellCommands } from './runbook-commands.js';
import { freePort } from './start-app.js';
import { REPO_ROOT, SQLGATE_MAIN, startServerProcess, type ServerProcess } from './start-server.js';

export const OPERATIONS_DOCS = path.join(REPO_ROOT, 'docs', 'operations');
const DEPLOY_MD = path.join(OPERATIONS_DOCS, 'deploy.md');

/** The runbooks' absolute paths that live in the workspace (longest first, so that none shadows another). */
const MAPPED_ROOTS = ['/var/backups/sqlgate', '/var/lib/sqlgate', '/etc/letsencrypt', '/etc/sqlgate', '/backups'];
const DOC_HTTP = '127.0.0.1:8008';
const DOC_METRICS = '127.0.0.1:9464';

const SUDO_STAND_IN = `#!/bin/sh
# The runbook test's sudo: the workspace is the test user's, so run the command (with any VAR=value) as that user.
while [ $# -gt 0 ]; do case "$1" in -u|-g) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac; done
exec env "$@"
`;

export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together (a terminal's view; with `answers`, everything the pseudo-terminal showed). */
  readonly output: string;
}

export interface ShellOptions {
  readonly env?: Record<string, string>;
  readonly stdin?: string;
  /** Runs the command on a pseudo-terminal (util-linux `script`) and types each answer once its prompt has shown. */
  readonly answers?: readonly (readonly [prompt: RegExp, answer: string])[];
  readonly timeoutMs?: number;
}

let compileCacheDir: string | undefined;

/** One V8 compile cache for every sqlgate process of the test file: each command starts faster, and nothing else changes. */
function compileCache(): string {
  compileCacheDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-runbook-cache-'));
  return compileCacheDir;
}

/** Removes the compile cache (after the last workspace is gone). */
export function removeCompileCache(): void {
  if (compileCacheDir) fs.rmSync(compileCacheDir, { recursive: true, force: true });
  compileCacheDir = undefined;
}

/**
 * A stand-in for the generated demo database, put where deploy.md's `demo: true` environment would generate it on
 * first start (seconds of work no runbook command needs: none of them queries the data). sqlgate serves it as it
 * serves any demo file it finds.
 */
function writeDemoStandIn(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, ordered_at TEXT NOT NULL); INSERT INTO orders VALUES (1, '2026-12-01 10:00:00')");
  db.close();
}

export class RunbookWorkspace {
  /** Example ids of the pages (`pat_3f9c2a71b0de`) → the ones the test created, for `rewrite`. */
  readonly ids = new Map<string, string>();
  private server: ServerProcess | undefined;
  private serverArgs: string[] = [];

  private constructor(
    readonly root: string,
    readonly httpPort: number,
    readonly metricsPort: number,
  ) {}

  /** deploy.md's layout and configuration, with `overrides` merged into the configuration (paths as the pages write them). */
  static async create(overrides: Record<string, unknown> = {}): Promise<RunbookWorkspace> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-runbook-'));
    const ws = new RunbookWorkspace(root, await freePort(), await freePort());
    for (const dir of ['bin', 'home', 'etc/sqlgate/secrets', 'var/lib/sqlgate/data', 'var/backups/sqlgate', 'backups', 'etc/letsencrypt']) {
      fs.mkdirSync(path.join(root, dir), { recursive: true, mode: 0o700 });
    }
    fs.writeFileSync(ws.path('/etc/sqlgate/sqlgate.env'), '', { mode: 0o640 });
    writeDemoStandIn(ws.path('/var/lib/sqlgate/data/demo.sqlite'));
    fs.writeFileSync(ws.path('/etc/sqlgate/sqlgate.yaml'), ws.rewrite(stringify(merge(deployConfig(ws), overrides))));
    fs.writeFileSync(path.join(root, 'bin', 'sqlgate'), ws.rewrite(deployWrapper()), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'bin', 'sudo'), SUDO_STAND_IN, { mode: 0o755 });
    return ws;
  }

  /** Where a page's absolute path is in the workspace. */
  path(docPath: string): string {
    return this.rewrite(docPath);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** The command as it runs here: mapped paths, the workspace's ports, and real ids for the pages' examples. */
  rewrite(text: string): string {
    const roots = new RegExp(`(^|[\\s'"=:(,])(${MAPPED_ROOTS.map((r) => r.replace(/\//g, '\\/')).join('|')})(?=[/\\s'"):,*]|$)`, 'gm');
    let out = text.replace(roots, (_match, before: string, root: string) => `${before}${this.root}${root}`)
      .replaceAll(DOC_HTTP, `127.0.0.1:${this.httpPort}`)
      .replaceAll(DOC_METRICS, `127.0.0.1:${this.metricsPort}`);
    for (const [example, real] of this.ids) out = out.replaceAll(example, real);
    return out;
  }

  /** Runs `command` (rewritten) in bash, from a directory of its own, with the workspace's `sqlgate` and `sudo` first on the PATH. */
  shell(command: string, options: ShellOptions = {}): Promise<ShellResult> {
    const text = this.rewrite(command);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(this.root, 'bin')}:${process.env.PATH}`, NODE_COMPILE_CACHE: compileCache(), ...options.env };
    delete env.SQLGATE_CONFIG;
    const [program, args] = options.answers
      ? ['script', ['-qec', `bash -c ${shellQuote(text)}`, '/dev/null']]
      : ['bash', ['-c', text]];
    return run(program, args, { ...options, cwd: path.join(this.root, 'home'), env });
  }

  /** Starts the server as deploy.md's systemd unit does (ExecStart, WorkingDirectory, Environment, EnvironmentFile). */
  async start(extraArgs: string[] = []): Promise<void> {
    const unit = systemdUnit();
    const execStart = unit.ExecStart?.[0] ?? '';
    const [node, main, ...args] = execStart.split(/\s+/);
    if (node !== '/opt/sqlgate-node/node' || main !== '/opt/sqlgate/dist/main.js') throw new Error(`deploy.md's unit has an unexpected ExecStart: ${execStart}`);
    const env: Record<string, string> = { NODE_COMPILE_CACHE: compileCache() };
    for (const line of unit.Environment ?? []) {
      const [key, ...value] = line.split('=');
      env[key!] = this.rewrite(value.join('='));
    }
    for (const file of unit.EnvironmentFile ?? []) Object.assign(env, readEnvironmentFile(this.path(file.replace(/^-/, ''))));
    this.serverArgs = extraArgs;
    // The helper adds --port 0 and --auth none unless told: the configuration's own port, and sign-in as configured.
    this.server = await startServerProcess({
      args: [...args, '--port', String(this.httpPort), '--auth', 'oauth', ...extraArgs],
      cwd: this.path(unit.WorkingDirectory?.[0] ?? '/var/lib/sqlgate'),
      env,
    });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.serverArgs);
  }

  /** What the running server has logged so far. */
  serverOutput(): string {
    return this.server?.output() ?? '';
  }

  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** deploy.md's sqlgate.yaml, on the workspace's ports (checked to be the page's 8008 and 9464 first). */
function deployConfig(ws: RunbookWorkspace): Record<string, any> {
  const config = parse(fencedBlockStartingWith(DEPLOY_MD, '# /etc/sqlgate/sqlgate.yaml')) as Record<string, any>;
  if (config.server?.port !== 8008 || config.metrics?.listen !== DOC_METRICS) throw new Error('deploy.md\'s sqlgate.yaml no longer listens on 8008 and 9464: update the runbook test');
  config.server.port = ws.httpPort;
  config.metrics.listen = `127.0.0.1:${ws.metricsPort}`;
  return config;
}

/** deploy.md's /usr/local/bin/sqlgate, running the built CLI with this Node, without the user switch. */
function deployWrapper(): string {
  const install = readShellCommands(DEPLOY_MD).find((c) => c.text.includes('tee /usr/local/bin/sqlgate'));
  if (!install) throw new Error('deploy.md no longer installs /usr/local/bin/sqlgate: update the runbook test');
  const script = hereDocumentOf(install.text);
  if (!script.includes('exec sudo -u sqlgate -- ')) throw new Error(`deploy.md's wrapper no longer runs "sudo -u sqlgate --": ${script}`);
  return script.replace('exec sudo -u sqlgate -- ', 'exec ')
    .replaceAll('/opt/sqlgate-node/node', process.execPath)
    .replaceAll('/opt/sqlgate/dist/main.js', SQLGATE_MAIN);
}

/** deploy.md's systemd unit: each key of [Service] and its values. */
function systemdUnit(): Record<string, string[]> {
  const unit: Record<string, string[]> = {};
  for (const line of fencedBlockStartingWith(DEPLOY_MD, '# /etc/systemd/system/sqlgate.service').split('\n')) {
    const match = /^(\w+)=(.*)$/.exec(line.trim());
    if (match) (unit[match[1]!] ??= []).push(match[2]!);
  }
  return unit;
}

/** KEY='value' lines, as both systemd and sh read them (deploy.md step 3). */
function readEnvironmentFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Za-z_]\w*)='([^']*)'$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

function merge(base: Record<string, any>, overrides: Record<string, any>): Record<string, any> {
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    out[key] = value && typeof value === 'object' && !Array.isArray(value) && typeof out[key] === 'object' ? merge(out[key], value) : value;
  }
  return out;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function run(program: string, args: string[], options: Omit<ShellOptions, 'env'> & { cwd: string; env: NodeJS.ProcessEnv }): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: 'pipe', detached: true });
    let stdout = '';
    let stderr = '';
    let output = '';
    let sinceAnswer = '';
    const answers = [...(options.answers ?? [])];
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`timed out after ${options.timeoutMs ?? 30_000} ms: ${args.at(-1)}\n${output}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stdout += text;
      output += text;
      sinceAnswer += text;
      const next = answers[0];
      if (next && next[0].test(sinceAnswer)) {
        answers.shift();
        sinceAnswer = '';
        child.stdin.write(`${next[1]}\r`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      output += chunk.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`${program} is not installed (${program === 'script' ? "util-linux's script: apt-get install bsdutils" : program})`) : err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const normalize = (s: string) => s.replace(/\r\n/g, '\n');
      resolve({ code: code ?? 128 + (signal ? os.constants.signals[signal] : 0), stdout: normalize(stdout), stderr: normalize(stderr), output: normalize(output) });
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else if (!options.answers) child.stdin.end();
  });
}
