/**
 * Starts a real sqlgate server process (`node dist/main.js …`) for end-to-end tests, on a free port, and stops it.
 *
 * It runs the BUILT server (dist/main.js) — the test command runs `tsc` first; nothing here builds. The process is
 * started in its own process group so that stop() can also reap the child processes sqlgate forks (SQLite
 * connections), and it is killed if the test process exits without calling stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SQLGATE_MAIN = path.join(REPO_ROOT, 'dist', 'main.js');

/** Throws a clear error when the server has not been built. */
export function assertBuilt(): void {
  if (!fs.existsSync(SQLGATE_MAIN)) {
    throw new Error(`${SQLGATE_MAIN} does not exist: build the server first with \`npm run build\` (end-to-end tests run the built dist/, they do not build it).`);
  }
}

export interface StartServerOptions {
  /**
   * Command-line arguments after `dist/main.js`. Default `['serve']`. For `serve`, `--port 0` (a free port) is
   * appended unless the arguments already give a port (`-p`/`--port`), and `--auth none` unless they give `--auth`.
   */
  args?: readonly string[];
  /** Working directory. Default: a fresh empty temp directory (so the built-in demo database is served), removed by stop(). */
  cwd?: string;
  /** Environment variables merged over process.env; `undefined` removes one. SQLGATE_CONFIG is removed unless given here. */
  env?: Record<string, string | undefined>;
  /** How long to wait for the `sqlgate <version> listening on <url>` banner, in ms. Default 30 000. */
  startupTimeoutMs?: number;
}

export interface ServerProcess {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`; an environment's MCP endpoint is `${url}/<env>/mcp`. */
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** The process's stdout and stderr so far (the last 256 KiB), for diagnostics. */
  output(): string;
  /** SIGTERM, then SIGKILL for the whole process group after 5 s; removes the temp cwd if this helper made it. Idempotent. */
  stop(): Promise<void>;
}

const BANNER = /^sqlgate \S+ listening on (http:\/\/\S+?)\/?$/;
const MAX_OUTPUT = 256 * 1024;

export async function startServerProcess(options: StartServerOptions = {}): Promise<ServerProcess> {
  assertBuilt();
  const args = [...(options.args ?? ['serve'])];
  if (args[0] === 'serve' && !args.some((a) => a === '-p' || a === '--port' || a.startsWith('--port='))) args.push('--port', '0');
  // Tests of the tools run without sign-in; the OAuth tests pass --auth oauth.
  if (args[0] === 'serve' && !args.some((a) => a === '--auth' || a.startsWith('--auth='))) args.push('--auth', 'none');

  const ownCwd = options.cwd === undefined;
  const cwd = options.cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SQLGATE_CONFIG;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  const child = spawn(process.execPath, [SQLGATE_MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const record = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  // Keep draining both pipes for the whole life of the process: a full pipe would block the server's writes.
  child.stderr.on('data', record);

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const onParentExit = () => killGroup('SIGKILL');
  process.once('exit', onParentExit);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    killGroup('SIGKILL'); // Reap whatever the server forked and left behind.
    process.removeListener('exit', onParentExit);
    if (ownCwd) fs.rmSync(cwd, { recursive: true, force: true });
  };

  const timeoutMs = options.startupTimeoutMs ?? 30_000;
  let firstLine: string;
  try {
    firstLine = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`sqlgate did not print its banner within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        record(chunk);
        stdout += chunk.toString('utf8');
        const newline = stdout.indexOf('\n');
        if (newline >= 0) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.on('data', record);
          resolve(stdout.slice(0, newline).trim());
        }
      };
      child.stdout.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`sqlgate exited before it was listening (code ${code}, signal ${signal})`));
      });
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\ncommand: node ${[SQLGATE_MAIN, ...args].join(' ')} (cwd ${cwd})\noutput:\n${output}`);
  }

  const match = BANNER.exec(firstLine);
  if (!match) {
    await stop();
    throw new Error(`unexpected first stdout line from sqlgate: ${JSON.stringify(firstLine)}\noutput:\n${output}`);
  }
  const url = match[1]!;
  const port = Number(new URL(url).port);
  return { url, port, process: child, output: () => output, stop };
}
