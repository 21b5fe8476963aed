/**
 * SQLite has no logins: what stands between sqlgate and the database file is the file's permission for the OS user
 * sqlgate runs as. A read-only environment opens the file read-only (and with PRAGMA query_only), but that is
 * sqlgate's own promise; a file the process cannot write is the engine-independent barrier. A writable directory
 * counts too: it lets the process replace or delete the file. SQLite reaches no other files for a login, so
 * `canReachServerFiles` is always false.
 *
 * For sqlgate's own process the kernel answers (access(2)): it knows about ACLs, read-only mounts and root. For
 * another user (`sqlgate doctor` run as someone else cannot become the service user) the mode bits are read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnavailableError } from '../../errors.js';
import type { PrivilegeReport } from '../dialect.js';
import { privilegeReport, type FoundPrivilege } from '../privilege-report.js';

const SETUP = 'docs/dialects/sqlite.md#least-privilege';

/** An OS user whose write permission to check, by mode bits. */
export interface FileUser {
  readonly name: string;
  readonly uid: number;
  /** Primary and supplementary group ids. */
  readonly gids: readonly number[];
}

/** The report for `file`, for sqlgate's own process or, when given, another user. */
export function sqlitePrivileges(file: string, user?: FileUser): PrivilegeReport {
  const directory = path.dirname(file);
  let fileStat: fs.Stats;
  let directoryStat: fs.Stats;
  try {
    fileStat = fs.statSync(file);
    directoryStat = fs.statSync(directory);
  } catch (err) {
    throw new UnavailableError('The SQLite database file cannot be opened.', {
      hint: 'Ask the operator to check that the file exists and is readable by sqlgate.',
      detail: (err as NodeJS.ErrnoException).code,
    });
  }
  const login = user?.name ?? processUserName();
  const isRoot = (user?.uid ?? process.getuid?.()) === 0;
  const isWritable = (target: string, stat: fs.Stats) => (user ? modeAllowsWrite(stat, user) : canAccessForWrite(target));
  const found: FoundPrivilege[] = [];
  const fix = (what: string) =>
    isRoot
      ? `sqlgate runs as root, which file permissions do not stop: run it as an unprivileged user that may only read the ${what} (${SETUP})`
      : `take write permission away from ${login} (chmod a-w, or give the ${what} to another owner) (${SETUP})`;
  if (isWritable(file, fileStat)) {
    found.push({
      severity: 'warning',
      message: `The database file ${file} is writable by ${login}`,
      fix: `sqlgate opens it read-only, but the file's permission is what really keeps it unchanged: ${fix('file')}`,
      canWrite: true,
    });
  }
  if (isWritable(directory, directoryStat)) {
    found.push({
      severity: 'warning',
      message: `The directory ${directory} is writable by ${login}, so the database file in it can be replaced or deleted`,
      fix: fix('directory'),
      canWrite: true,
    });
  }
  return privilegeReport(login, found, `${login} cannot write the database file ${file} or its directory.`);
}

function canAccessForWrite(target: string): boolean {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The owner, group and other write bits, as the kernel applies them (root may always write). */
function modeAllowsWrite(stat: fs.Stats, user: FileUser): boolean {
  if (user.uid === 0) return true;
  if (stat.uid === user.uid) return (stat.mode & 0o200) !== 0;
  if (user.gids.includes(stat.gid)) return (stat.mode & 0o020) !== 0;
  return (stat.mode & 0o002) !== 0;
}

function processUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // A container may run under a uid with no passwd entry.
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
