/**
 * Builds a PrivilegeReport from what a dialect found, so that every dialect orders its findings, derives the two
 * flags, words the all-clear and ranks its findings for a writable environment the same way. The dialects only say
 * what they found, what it allows and how to fix it.
 */
import type { PrivilegeFinding, PrivilegeReport } from './dialect.js';

/** One thing a dialect found about its login, with what it lets the login do. */
export interface FoundPrivilege {
  /** How much it matters in a read-only environment. */
  readonly severity: 'danger' | 'warning';
  /** What was found and what it lets the login do, naming the login: `role app may INSERT … 3 tables (…)`. */
  readonly message: string;
  /** What to do about it in a read-only environment, ending with the dialect's least-privilege setup link. */
  readonly fix: string;
  /** What to do about it in a writable environment, when that differs from `fix` (a fix that says "SELECT only"). */
  readonly fixWhenWritable?: string;
  /** The finding lets the login change data or schema. */
  readonly canWrite?: boolean;
  /** The finding lets the login read or write files on the server, or run programs there. */
  readonly canReachServerFiles?: boolean;
}

const ORDER = { danger: 0, warning: 1, info: 2, ok: 3 } as const;

/** Said of a finding that only lets the login write, in an environment that is there to write. */
export const EXPECTED_WHEN_WRITABLE = 'expected: the environment is writable';

/**
 * Dangers first, then warnings; `allClear` is added as the `ok` finding when the login can neither write nor reach
 * files. The same findings are ranked twice: for a read-only environment, and for a writable one (see
 * PrivilegeReport.findingsWhenWritable).
 */
export function privilegeReport(login: string, found: readonly FoundPrivilege[], allClear: string): PrivilegeReport {
  const canWrite = found.some((f) => f.canWrite === true);
  const canReachServerFiles = found.some((f) => f.canReachServerFiles === true);
  const tail: PrivilegeFinding[] = !canWrite && !canReachServerFiles ? [{ severity: 'ok', message: allClear }] : [];
  return {
    login,
    canWrite,
    canReachServerFiles,
    findings: [...sorted(found.map(whenReadOnly)), ...tail],
    findingsWhenWritable: [...sorted(found.map(whenWritable)), ...tail],
  };
}

function whenReadOnly(found: FoundPrivilege): PrivilegeFinding {
  return { severity: found.severity, message: `${found.message}; ${found.fix}.` };
}

/**
 * Changing data and schema is what a writable environment is for: a finding whose only power is that is information.
 * Anything more (server files, programs, other accounts, administration) is not needed to write, so it stays: a
 * danger becomes a warning, because a writable environment's verdict never fails on its login.
 */
function whenWritable(found: FoundPrivilege): PrivilegeFinding {
  if (found.canWrite === true && found.canReachServerFiles !== true) {
    return { severity: 'info', message: `${found.message}; ${EXPECTED_WHEN_WRITABLE}.` };
  }
  return { severity: 'warning', message: `${found.message}; ${found.fixWhenWritable ?? found.fix}.` };
}

function sorted(findings: PrivilegeFinding[]): PrivilegeFinding[] {
  return findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}

/** What a write privilege lets the login change: the rows of tables, their definitions, or both. */
export interface WriteScope {
  readonly data: boolean;
  readonly schema: boolean;
}

/** "data", "the schema" or "data and schema": what a set of write privileges lets the login change, for a message. */
export function whatItChanges(scopes: readonly WriteScope[]): string {
  const data = scopes.some((s) => s.data);
  const schema = scopes.some((s) => s.schema);
  if (data && schema) return 'data and schema';
  return schema ? 'the schema' : 'data';
}

/** "orders, customers and 3 more": a few names from a longer list, for a finding's message. */
export function someNames(names: readonly string[], total: number = names.length): string {
  const shown = names.slice(0, 3);
  const more = total - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}
