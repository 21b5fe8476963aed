/**
 * Runs one command of the built CLI (`node dist/main.js …`) as an operator would, as a process of its own, and
 * collects its exit code and output. Asynchronous, so that a test can run several at once; nothing here builds.
 */
import { spawn } from 'node:child_process';
import { assertBuilt, SQLGATE_MAIN } from './start-server.js';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunSqlgateOptions {
  /** Written to standard input, which is then closed (e.g. a password for --password-stdin). */
  readonly input?: string;
  readonly cwd?: string;
  /** How long the command may take, in ms; it is killed after that. Default 30 000. */
  readonly timeoutMs?: number;
}

export function runSqlgate(args: readonly string[], options: RunSqlgateOptions = {}): Promise<CommandResult> {
  assertBuilt();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SQLGATE_CONFIG;
  const child = spawn(process.execPath, [SQLGATE_MAIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
