/**
 * Builds a PrivilegeReport from what a dialect found, so that every dialect orders its findings, derives the two
 * flags and words the all-clear the same way. The dialects only say what they found and what it allows.
 */
import type { PrivilegeFinding, PrivilegeReport } from './dialect.js';

/** One thing a dialect found about its login, with what it lets the login do. */
export interface FoundPrivilege {
  readonly severity: 'danger' | 'warning';
  readonly message: string;
  /** The finding lets the login change data or schema. */
  readonly canWrite?: boolean;
  /** The finding lets the login read or write files on the server, or run programs there. */
  readonly canReachServerFiles?: boolean;
}

const ORDER = { danger: 0, warning: 1 } as const;

/** Dangers first, then warnings; `allClear` is added as the `ok` finding when the login can neither write nor reach files. */
export function privilegeReport(login: string, found: readonly FoundPrivilege[], allClear: string): PrivilegeReport {
  const canWrite = found.some((f) => f.canWrite === true);
  const canReachServerFiles = found.some((f) => f.canReachServerFiles === true);
  const findings: PrivilegeFinding[] = [...found]
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
    .map(({ severity, message }) => ({ severity, message }));
  if (!canWrite && !canReachServerFiles) findings.push({ severity: 'ok', message: allClear });
  return { login, canWrite, canReachServerFiles, findings };
}

/** "orders, customers and 3 more": a few names from a longer list, for a finding's message. */
export function someNames(names: readonly string[], total: number = names.length): string {
  const shown = names.slice(0, 3);
  const more = total - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}
