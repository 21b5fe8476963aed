/**
 * The command line: serve, stdio, init, doctor, users. The only code that reads argv and the process environment or decides
 * an exit code; everything it needs is handed to app.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, DEFAULT_CONFIG_FILE } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { isLoopbackHost } from '../http/request-guards.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { SQLGATE_VERSION } from '../version.js';
import { addAuditCommand } from './audit.js';
import { addBackupCommands } from './backup.js';
import { isEnvironmentName, publicUrlProblem } from './connector-doctor/connector-context.js';
import { reportCliError } from './exit.js';
import { drainAndClose, onShutdownSignals, serveHangAfterMs } from './graceful-shutdown.js';
import { INIT_CONFIG } from './init-config.js';
import { readNewPassword, type CliStdin } from './read-password.js';
import { addGrantsCommand } from './grants.js';
import { addKeysCommand } from './keys.js';
import { addTokensCommand } from './tokens.js';
import { addToolsCommand } from './tools.js';
import { addUsersCommand } from './users.js';
import { releaseStartupV8Settings } from './v8-settings.js';

/** stdio has no calls to drain (its client went away or asked it to stop): closing takes seconds at most. */
const STDIO_HANG_AFTER_MS = 10_000;

export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard input, for `users … --password-stdin` and password prompts. Absent: there is none. */
  stdin?: CliStdin;
}

/** Runs the command line. Resolves with the exit code for one-shot commands; serve/stdio keep running. */
export async function runCli(io: CliIo): Promise<number> {
  const program = new Command('sqlgate')
    .description('Governed, audited access to SQL databases for AI assistants, over MCP.')
    .version(SQLGATE_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  let exitCode = 0;
  const guard = (action: (...args: any[]) => Promise<number | void>) => async (...args: any[]) => {
    try {
      exitCode = (await action(...args)) ?? 0;
    } catch (err) {
      exitCode = reportCliError(err, io.stderr, io.env.SQLGATE_DEBUG === '1');
    }
  };

  program
    .command('serve')
    .description('Serve every configured environment over HTTP (Streamable HTTP at /<env>/mcp, legacy SSE at /<env>/sse).')
    .option('-c, --config <file>', `configuration file (default: $SQLGATE_CONFIG, ./${DEFAULT_CONFIG_FILE}, or the built-in demo)`)
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort)
    .option('-H, --host <host>', 'address to bind')
    .option('--auth <mode>', 'oauth (sqlgate signs users in and every MCP request needs a token) or none (default: auth.mode, oauth)', parseAuthMode)
    .option('--public-url <url>', 'the URL users reach sqlgate at, e.g. https://data.example.com (default: auth.public_url)')
    .option('--insecure-no-auth', 'allow a non-loopback --host with --auth none (dangerous)')
    .option('-d, --dir <dir>', 'directory for relative paths and the demo database (default: the current one)')
    .action(guard(async (options: { config?: string; port?: number; host?: string; auth?: 'oauth' | 'none'; publicUrl?: string; insecureNoAuth?: boolean; dir?: string }) => {
      const cwd = workingDirectory(io.cwd, options.dir);
      const config = loadConfig({
        configPath: options.config,
        env: io.env,
        cwd,
        overrides: { host: options.host, port: options.port, insecureNoAuth: options.insecureNoAuth, authMode: options.auth, publicUrl: options.publicUrl },
      });
      const logger = createLogger(config.log.level);
      if (config.auth.mode === 'none') refuseUnauthenticatedExposure(config.server.host, config.server.insecureNoAuth, logger);
      else refuseUnknownPublicUrl(config);
      // The server's modules load only for the commands that serve: an admin command starts in a fraction of the time.
      const [{ createSqlgate }, { listen }, { startBanner }] = await Promise.all([import('../app.js'), import('../http/listen.js'), import('./banner.js')]);
      const sqlgate = await createSqlgate(config, logger);
      let server;
      try {
        server = await listen(sqlgate.http, config.server.host, config.server.port, config.server);
        await sqlgate.serveMetrics(); // metrics.listen, when set
      } catch (err) {
        await server?.close();
        await sqlgate.close();
        throw err;
      }
      const port = server.port;
      const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
      const userCount = sqlgate.store ? (await sqlgate.store.users.list()).length : undefined;
      // With audit.stream: stdout, standard output is the SIEM's: the banner goes beside the log, on stderr.
      (config.audit.stream?.kind === 'stdout' ? io.stderr : io.stdout)(startBanner(sqlgate, `http://${host}:${port}`, SQLGATE_VERSION, path.resolve(io.argv[1] ?? 'sqlgate'), cwd, userCount));
      releaseStartupV8Settings();
      const listening = server;
      const graceMs = config.server.shutdownGraceMs;
      onShutdownSignals(logger, () => drainAndClose({
        drain: sqlgate.drain, listening, graceMs, logger, closeStreams: () => sqlgate.http.close(), closeRest: () => sqlgate.close(),
      }), serveHangAfterMs(graceMs));
      return new Promise<never>(() => undefined);
    }));

  program
    .command('stdio')
    .description('Serve one environment over stdio (for clients that launch sqlgate as a subprocess).')
    .requiredOption('-e, --env <name>', 'environment to serve')
    .option('-c, --config <file>', 'configuration file (default: as for serve)')
    .option('-d, --dir <dir>', 'directory for relative paths and the demo database (default: the current one)')
    .action(guard(async (options: { env: string; config?: string; dir?: string }) => {
      // stdio is one local user's own process: there is nobody to sign in, so no authorization server either.
      // It opens and serves only this environment (loadConfig refuses a name that is not configured), so the
      // other environments' database secrets need not be set where it runs.
      const config = loadConfig({
        configPath: options.config,
        env: io.env,
        cwd: workingDirectory(io.cwd, options.dir),
        overrides: { authMode: 'none' },
        environmentsToOpen: [options.env],
      });
      if (config.audit.stream?.kind === 'stdout') {
        throw new ConfigError('audit.stream: stdout cannot be used with stdio: standard output carries the MCP protocol, and audit lines in it would break the client\'s connection.', {
          hint: 'Point audit.stream at a file (e.g. /var/log/sqlgate/audit.jsonl), or give stdio a configuration without it.',
        });
      }
      const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
      const [{ createSqlgate }, { serveStdio }] = await Promise.all([import('../app.js'), import('@modelcontextprotocol/server/stdio')]);
      const sqlgate = await createSqlgate(config, logger);
      // stdio's log is quiet (warnings only), and the first start may take a second to make the demo: say so.
      for (const file of sqlgate.createdDemoFiles) io.stderr(`sqlgate: created the demo database ${file} (generated sales data from 2024-01-01 to now)\n`);
      const handle = serveStdio(sqlgate.serverFactory(options.env), {
        onerror: (err) => logger.warn({ err: err.message }, 'stdio transport'),
      });
      releaseStartupV8Settings();
      onShutdownSignals(logger, async () => {
        await handle.close();
        await sqlgate.close();
      }, STDIO_HANG_AFTER_MS);
      process.stdin.on('end', () => void handle.close().then(() => sqlgate.close()).then(() => process.exit(0)));
      return new Promise<never>(() => undefined);
    }));

  program
    .command('init')
    .description(`Write a commented ${DEFAULT_CONFIG_FILE} to start from.`)
    .option('-o, --output <file>', 'where to write it', DEFAULT_CONFIG_FILE)
    .option('-f, --force', 'overwrite an existing file')
    .action(guard(async (options: { output: string; force?: boolean }) => {
      const file = path.resolve(io.cwd, options.output);
      if (fs.existsSync(file) && !options.force) {
        throw new ConfigError(`${file} already exists.`, { hint: 'Pass --force to overwrite it, or --output to write elsewhere.' });
      }
      fs.writeFileSync(file, INIT_CONFIG, { mode: 0o600 });
      io.stdout(`Wrote ${file}. Edit it, then run: sqlgate serve --config ${options.output}\n`);
      return 0;
    }));

  program
    .command('doctor')
    .summary("check each environment's database login, or with --public-url a Claude.ai connector from the outside")
    .description("Connect to each environment and check its database login's privileges. Exits 1 when a read-only environment's login can write or reach the server's files, or a database is unreachable.\n\n"
      + 'With --public-url, check instead, from the outside, what a Claude.ai custom connector needs: DNS (public IPv4), HTTPS, the 401 challenge, the OAuth metadata, '
      + "registration with Claude's callbacks and (with --user and --password-stdin) sign-in, token, refresh and revocation. No configuration is read then; run it from anywhere. Exits 1 when a check fails.")
    .option('-c, --config <file>', 'configuration file (default: as for serve)')
    .option('-d, --dir <dir>', 'directory for relative paths and the demo database (default: the current one)')
    .option('-e, --env <name>', 'check only this environment')
    .option('--json', 'print the report as JSON')
    .option('--public-url <url>', 'check the connector at this URL (what users give Claude.ai, without /<env>/mcp), e.g. https://data.example.com', parsePublicUrlOption)
    .option('--user <name>', 'with --public-url: sign in as this user to test the token, refresh and revocation (give the password with --password-stdin)')
    .option('--password-stdin', "with --user: read the user's password from standard input")
    .option('--insecure-allow-http', 'with --public-url: accept http:// and loopback addresses (trying things out locally; Claude.ai itself needs HTTPS)')
    .action(guard(async (options: { config?: string; dir?: string; env?: string; json?: boolean; publicUrl?: string; user?: string; passwordStdin?: boolean; insecureAllowHttp?: boolean }) => {
      if (options.publicUrl !== undefined) return connectorDoctor(options as typeof options & { publicUrl: string });
      if (options.user !== undefined || options.passwordStdin || options.insecureAllowHttp) {
        throw new InvalidInputError('--user, --password-stdin and --insecure-allow-http only go with --public-url.', {
          hint: 'Check a connector with: sqlgate doctor --public-url https://data.example.com',
        });
      }
      // stdio is one local user's own process: there is nobody to sign in, so no authorization server either.
      const config = loadConfig({
        configPath: options.config,
        env: io.env,
        cwd: workingDirectory(io.cwd, options.dir),
        overrides: { authMode: 'none' },
        environmentsToOpen: options.env === undefined ? 'all' : [options.env],
      });
      const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
      const { runDoctor } = await import('./doctor.js');
      return runDoctor({ config, environmentName: options.env, isJson: options.json === true, write: io.stdout, logger });
    }));

  /** `doctor --public-url`: the connector checks, instead of the database ones; they need no configuration. */
  async function connectorDoctor(options: { config?: string; dir?: string; env?: string; json?: boolean; publicUrl: string; user?: string; passwordStdin?: boolean; insecureAllowHttp?: boolean }): Promise<number> {
    if (options.config !== undefined || options.dir !== undefined) {
      throw new InvalidInputError('--config and --dir are not used with --public-url: the connector is checked from the outside.', {
        hint: 'Run "sqlgate doctor" without --public-url on the server for the database checks.',
      });
    }
    if (options.env !== undefined && !isEnvironmentName(options.env)) {
      throw new InvalidInputError(`--env ${options.env}: not an environment name (lower-case letters, digits, "_" and "-").`);
    }
    if ((options.user !== undefined) !== (options.passwordStdin === true)) {
      throw new InvalidInputError('--user and --password-stdin go together.', {
        hint: `Pipe the password in, e.g.: printf %s "$PASSWORD" | sqlgate doctor --public-url ${options.publicUrl} --user alice --password-stdin`,
      });
    }
    const password = options.user === undefined ? undefined : await readNewPassword({ stdin: io.stdin, isFromStdin: true, prompt: io.stderr });
    const { runConnectorDoctor } = await import('./connector-doctor/run-connector-doctor.js');
    return runConnectorDoctor({
      publicUrl: options.publicUrl,
      environments: options.env === undefined ? [] : [options.env],
      allowHttp: options.insecureAllowHttp === true,
      ...(options.user !== undefined && password !== undefined ? { user: { name: options.user, password } } : {}),
      isJson: options.json === true,
      write: io.stdout,
    });
  }

  // The admin commands work on the state store and open no environment's database, so they need none of the
  // database secrets (a ${PG_PASSWORD} set only for the server must not stop "sqlgate users add").
  const loadForCommand = (options: { config?: string; dir?: string }) =>
    loadConfig({ configPath: options.config, env: io.env, cwd: workingDirectory(io.cwd, options.dir), environmentsToOpen: [] });
  addUsersCommand(program, {
    stdin: io.stdin,
    stdout: io.stdout,
    stderr: io.stderr,
    guard,
    loadConfig: loadForCommand,
  });
  addTokensCommand(program, { stdout: io.stdout, stderr: io.stderr, guard, loadConfig: loadForCommand });
  addGrantsCommand(program, { stdout: io.stdout, guard, loadConfig: loadForCommand });
  addKeysCommand(program, { stdout: io.stdout, guard, loadConfig: loadForCommand });
  addAuditCommand(program, { stdout: io.stdout, guard, loadConfig: loadForCommand });
  addBackupCommands(program, { stdout: io.stdout, guard, loadConfig: loadForCommand });
  addToolsCommand(program, {
    stdout: io.stdout,
    guard,
    // Like stdio: a local run with no one to sign in, opening only the environments it needs.
    loadConfig: (options, environments) => loadConfig({
      configPath: options.config, env: io.env, cwd: workingDirectory(io.cwd, options.dir), overrides: { authMode: 'none' }, environmentsToOpen: environments,
    }),
    createLogger: (config) => createLogger(config.log.level === 'info' ? 'warn' : config.log.level),
  });

  try {
    await program.parseAsync(io.argv, { from: 'node' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : reportCliError(err, io.stderr, false);
  }
  return exitCode;
}

function workingDirectory(cwd: string, dir: string | undefined): string {
  if (dir === undefined) return cwd;
  const resolved = path.resolve(cwd, dir);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    throw new ConfigError(`--dir ${dir}: no such directory.`, { hint: 'Create it first, or give an existing directory.' });
  }
  return resolved;
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return Number(value);
}

function parsePublicUrlOption(value: string): string {
  const problem = publicUrlProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return new URL(value).origin;
}

function parseAuthMode(value: string): 'oauth' | 'none' {
  if (value !== 'oauth' && value !== 'none') throw new InvalidArgumentError('use "oauth" or "none".');
  return value;
}

/**
 * Off loopback, the OAuth issuer and every resource URL must not come from whatever Host a request names: say
 * the public URL (auth.public_url), or the host names this server answers to (server.allowed_hosts).
 */
function refuseUnknownPublicUrl(config: Config): void {
  if (isLoopbackHost(config.server.host) || config.auth.publicUrl || config.server.allowedHosts.length > 0) return;
  throw new ConfigError(`Serving ${config.server.host} with OAuth needs to know the URL users reach sqlgate at.`, {
    hint: 'Set auth.public_url (or --public-url), e.g. https://data.example.com, or list the host names in server.allowed_hosts.',
  });
}

/** Without authentication only loopback is served, unless the operator explicitly accepts the risk. */
function refuseUnauthenticatedExposure(host: string, isAllowed: boolean, logger: Logger): void {
  if (isLoopbackHost(host)) return;
  if (!isAllowed) {
    throw new ConfigError(`Refusing to serve ${host} without authentication: anyone who can reach it could query your databases.`, {
      hint: 'Use auth.mode: oauth (the default), bind to 127.0.0.1 behind a reverse proxy that authenticates, or pass --insecure-no-auth to accept the risk.',
    });
  }
  logger.warn({ host }, '!!! INSECURE: serving a non-loopback address WITHOUT AUTHENTICATION (--insecure-no-auth). Anyone who can reach it can query every environment.');
}
