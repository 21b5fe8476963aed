/**
 * `sqlgate doctor`: least privilege, checked. Connects to each environment (or the one named), reports what its
 * database login could do, and decides the exit code: 0 when every database answered and no read-only
 * environment's login can write or reach the server's files, 1 otherwise. Output is for a person, or JSON.
 */
import { checkEnvironmentPrivileges } from '../app.js';
import type { Config, EnvironmentConfig } from '../config/schema.js';
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

/** How one environment fared: only `ok` passes. */
export type DoctorStatus = 'ok' | 'over-privileged' | 'unreachable' | 'unchecked';

/** Runs the check and writes the report; resolves with the exit code. Throws ConfigError for an unknown --env. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const checks = await checkEnvironmentPrivileges(selectEnvironments(options.config, options.environmentName), options.logger);
  const isOk = checks.every((check) => statusOf(check) === 'ok');
  options.write(options.isJson ? `${JSON.stringify(toJson(checks, isOk), null, 2)}\n` : toText(checks));
  return isOk ? 0 : EXIT_FAILURE;
}

function selectEnvironments(config: Config, name: string | undefined): readonly EnvironmentConfig[] {
  if (name === undefined) return config.environments;
  const found = config.environments.filter((e) => e.name === name);
  if (found.length === 0) {
    throw new ConfigError(`There is no environment named "${name}".`, {
      hint: `Configured environments: ${config.environments.map((e) => e.name).join(', ')}.`,
    });
  }
  return found;
}

export function statusOf(check: PrivilegeCheck): DoctorStatus {
  if (!check.database.connected) return 'unreachable';
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
      connection: { connected: check.database.connected, latencyMs: check.database.latencyMs, error: check.database.error ?? null },
      error: check.error,
      login: check.report?.login ?? null,
      canWrite: check.report?.canWrite ?? null,
      canReachServerFiles: check.report?.canReachServerFiles ?? null,
      findings: check.report?.findings ?? [],
    })),
  };
}

const LABELS: Record<DoctorStatus, string> = { ok: 'OK', 'over-privileged': 'FAIL', unreachable: 'UNREACHABLE', unchecked: 'UNCHECKED' };

function toText(checks: readonly PrivilegeCheck[]): string {
  const blocks = checks.map((check) => {
    const status = statusOf(check);
    const lines = [`${check.environment}: ${LABELS[status]} (${check.dialect}, ${check.readOnly ? 'read-only' : 'writable'})`];
    const { database, report } = check;
    lines.push(`  connection    ${database.connected ? `connected (${database.latencyMs} ms)` : `down: ${database.error ?? 'unknown reason'}`}`);
    if (report) {
      lines.push(`  login         ${report.login}`);
      lines.push(`  can write     ${report.canWrite ? 'yes' : 'no'}`);
      lines.push(`  server files  ${report.canReachServerFiles ? 'yes (can read or write files on the database server)' : 'no'}`);
      for (const finding of report.findings) lines.push(`  ${finding.severity.toUpperCase().padEnd(8)}${finding.message}`);
    }
    lines.push(`  => ${verdict(check, status)}`);
    return lines.join('\n');
  });
  const failed = checks.filter((check) => statusOf(check) !== 'ok').length;
  const summary = failed === 0
    ? `All ${checks.length} environment${checks.length === 1 ? '' : 's'} passed.`
    : `${failed} of ${checks.length} environment${checks.length === 1 ? '' : 's'} failed the check.`;
  return `sqlgate doctor: least privilege, checked\n\n${blocks.join('\n\n')}\n\n${summary}\n`;
}

function verdict(check: PrivilegeCheck, status: DoctorStatus): string {
  switch (status) {
    case 'unreachable':
      return 'the database did not answer, so its login could not be checked.';
    case 'unchecked':
      return check.error ?? 'the login could not be checked.';
    case 'over-privileged':
      return `read-only, but its login can ${[check.report!.canWrite && 'write', check.report!.canReachServerFiles && "reach the server's files"].filter(Boolean).join(' and ')}: `
        + `only sqlgate's own checks stand in the way. Fix the findings above${check.strictPrivileges ? '; with strict_privileges: true the server refuses to serve it.' : ', or the server warns at every start (strict_privileges: true refuses to serve it).'}`;
    case 'ok':
      if (check.isDemo) return 'the demo database: generated by sqlgate, holds no one\'s data; not counted.';
      if (!check.readOnly) return 'writable: write privileges are expected here; the findings are for information.';
      return 'read-only, and its login can neither write nor reach the server\'s files.';
  }
}
