/**
 * `sqlgate doctor`: least privilege, checked. Connects to each environment (or the one named), reports what its
 * database login could do, and decides the exit code: 0 when every database answered and no read-only
 * environment's login can write or reach the server's files, 1 otherwise. A database that refused the login is told
 * apart from one that did not answer: the first is a configuration to fix, the second a server to start.
 * Output is for a person, or JSON.
 */
import { checkEnvironmentPrivileges } from '../app.js';
import type { DatabaseTarget } from '../config/database-url.js';
import type { Config, EnvironmentConfig } from '../config/schema.js';
import type { ConnectionStatus } from '../db/dialect.js';
import { EXPECTED_WHEN_WRITABLE } from '../db/privilege-report.js';
import type { PrivilegeCheck } from '../environments/check-privileges.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { EXIT_FAILURE } from './exit.js';

export interface DoctorOptions {
  readonly config: Config;
  /** Check only this environment. */
  readonly environmentName?: string | undefined;
  readonly isJson: boolean;
  /** Where the report goes (stdout). */
  readonly write: (text: string) => void;
  readonly logger: Logger;
}

/** How one environment fared: only `ok` passes. `refused`: the server answered but refused the login or database. */
export type DoctorStatus = 'ok' | 'over-privileged' | 'unreachable' | 'refused' | 'unchecked';

/** Runs the check and writes the report; resolves with the exit code. Throws ConfigError for an unknown --env. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const environments = selectEnvironments(options.config, options.environmentName);
  const checks = await checkEnvironmentPrivileges(environments, options.logger);
  const targets = new Map(environments.map((e) => [e.name, e.target]));
  const isOk = checks.every((check) => statusOf(check) === 'ok');
  options.write(options.isJson ? `${JSON.stringify(toJson(checks, isOk), null, 2)}\n` : toText(checks, targets));
  return isOk ? 0 : EXIT_FAILURE;
}

function selectEnvironments(config: Config, name: string | undefined): readonly EnvironmentConfig[] {
  if (name === undefined) return config.environments;
  const found = config.environments.filter((e) => e.name === name);
  if (found.length === 0) {
    throw new ConfigError(`There is no environment named "${name}".`, {
      hint: `Configured environments: ${config.configuredEnvironments.map((e) => e.name).join(', ')}.`,
    });
  }
  return found;
}

export function statusOf(check: PrivilegeCheck): DoctorStatus {
  if (!check.database.connected) return isRefused(check.database) ? 'refused' : 'unreachable';
  if (check.report === null) return 'unchecked';
  return check.isOverPrivileged ? 'over-privileged' : 'ok';
}

function toJson(checks: readonly PrivilegeCheck[], isOk: boolean) {
  return {
    ok: isOk,
    environments: checks.map((check) => ({
      name: check.environment,
      dialect: check.dialect,
      readOnly: check.readOnly,
      strictPrivileges: check.strictPrivileges,
      demo: check.isDemo,
      status: statusOf(check),
      ok: statusOf(check) === 'ok',
      connection: {
        connected: check.database.connected,
        latencyMs: check.database.latencyMs,
        error: check.database.error ?? null,
        failure: check.database.failure ?? null,
      },
      error: check.error,
      login: check.report?.login ?? null,
      canWrite: check.report?.canWrite ?? null,
      canReachServerFiles: check.report?.canReachServerFiles ?? null,
      findings: check.findings,
    })),
  };
}

const LABELS: Record<DoctorStatus, string> = {
  ok: 'OK',
  'over-privileged': 'FAIL',
  unreachable: 'UNREACHABLE',
  refused: 'REFUSED',
  unchecked: 'UNCHECKED',
};

function toText(checks: readonly PrivilegeCheck[], targets: ReadonlyMap<string, DatabaseTarget>): string {
  const blocks = checks.map((check) => {
    const status = statusOf(check);
    const lines = [`${check.environment}: ${LABELS[status]} (${check.dialect}, ${check.readOnly ? 'read-only' : 'writable'})`];
    const { database, report } = check;
    lines.push(`  connection    ${connectionLine(database)}`);
    if (report) {
      const expected = !check.readOnly && report.canWrite ? ` (${EXPECTED_WHEN_WRITABLE})` : '';
      lines.push(`  login         ${report.login}`);
      lines.push(`  can write     ${report.canWrite ? 'yes' : 'no'}${expected}`);
      lines.push(`  server files  ${report.canReachServerFiles ? 'yes (can read or write files on the database server)' : 'no'}`);
      for (const finding of check.findings) lines.push(`  ${finding.severity.toUpperCase().padEnd(8)}${finding.message}`);
    }
    lines.push(`  => ${verdict(check, status, targets.get(check.environment))}`);
    return lines.join('\n');
  });
  const failed = checks.filter((check) => statusOf(check) !== 'ok').length;
  const summary = failed === 0
    ? `All ${checks.length} environment${checks.length === 1 ? '' : 's'} passed.`
    : `${failed} of ${checks.length} environment${checks.length === 1 ? '' : 's'} failed the check.`;
  return `sqlgate doctor: least privilege, checked\n\n${blocks.join('\n\n')}\n\n${summary}\n`;
}

function isRefused(database: ConnectionStatus): boolean {
  return database.failure === 'login-refused' || database.failure === 'database-refused';
}

function connectionLine(database: ConnectionStatus): string {
  if (database.connected) return `connected (${database.latencyMs} ms)`;
  return `${isRefused(database) ? 'refused' : 'down'}: ${database.error ?? 'unknown reason'}`;
}

function verdict(check: PrivilegeCheck, status: DoctorStatus, target: DatabaseTarget | undefined): string {
  switch (status) {
    case 'unreachable':
      return 'the database did not answer, so its login could not be checked.';
    case 'refused':
      return refusal(check.database, target);
    case 'unchecked':
      return check.error ?? 'the login could not be checked.';
    case 'over-privileged':
      return `read-only, but its login can ${[check.report!.canWrite && 'write', check.report!.canReachServerFiles && "reach the server's files"].filter(Boolean).join(' and ')}: `
        + `only sqlgate's own checks stand in the way. Fix the findings above${check.strictPrivileges ? '; with strict_privileges: true the server refuses to serve it.' : ', or the server warns at every start (strict_privileges: true refuses to serve it).'}`;
    case 'ok':
      if (check.isDemo) return 'the demo database: generated by sqlgate, holds no one\'s data; not counted.';
      if (!check.readOnly) {
        return check.findings.some((f) => f.severity === 'warning' || f.severity === 'danger')
          ? 'writable: write privileges are expected here, but the warnings above are powers it does not need to write: take them away (they do not fail the check).'
          : 'writable: write privileges are expected here; the findings are for information.';
      }
      return 'read-only, and its login can neither write nor reach the server\'s files.';
  }
}

/** The server is up and said no: name the user and the database from the URL, and what to check. */
function refusal(database: ConnectionStatus, target: DatabaseTarget | undefined): string {
  const network = target?.dialect === 'sqlite' ? undefined : target;
  const user = network?.user ? `user ${network.user}` : 'the default user';
  if (database.failure === 'database-refused') {
    const name = network ? `database ${network.database}` : 'the database';
    return `the server refused the connection to ${name}: it does not exist, or ${user} may not use it. Check the database name in the database URL and the user's grants.`;
  }
  return `the database refused the login: authentication failed for ${user}. Check the user and password in the database URL (or the password_file).`;
}
