/**
 * What the MySQL/MariaDB login could do beyond reading, from SHOW GRANTS of the current account and of every role
 * granted to it, on one ordinary read-only session.
 *
 * SHOW GRANTS rather than information_schema.USER_PRIVILEGES / SCHEMA_PRIVILEGES / TABLE_PRIVILEGES: those views
 * leave out the privileges that come through roles, and a login that can read the mysql schema sees every other
 * account's rows in them too. A role's grants are only visible to its grantee while the role is active, so on
 * MariaDB each role is switched on in turn — on a connection of its own that is closed afterwards, because SET ROLE
 * survives the COM_RESET_CONNECTION that cleans pooled connections. MySQL 8 shows them with SHOW GRANTS … USING.
 */
import type { ConnectionOptions } from 'mysql2';
import { SqlgateError } from '../../errors.js';
import type { Dialect, PrivilegeReport, Session } from '../dialect.js';
import { privilegeReport, whatItChanges, type FoundPrivilege, type WriteScope } from '../privilege-report.js';
import { MysqlConnection } from './mysql-connection.js';
import { parseMysqlGrant, type MysqlGrant } from './mysql-grants.js';

const SETUP = 'docs/dialects/mysql.md#least-privilege-login';
const TIMEOUT_MS = 30_000;

const DATA: WriteScope = { data: true, schema: false };
const SCHEMA: WriteScope = { data: false, schema: true };

/**
 * Privileges that change data or schema at the level they are granted, and which of the two. DROP is both: it drops
 * tables with their rows, and TRUNCATE TABLE needs it.
 */
const WRITE_PRIVILEGES: ReadonlyMap<string, WriteScope> = new Map<string, WriteScope>([
  ['INSERT', DATA], ['UPDATE', DATA], ['DELETE', DATA], ['DELETE HISTORY', DATA], ['DROP', { data: true, schema: true }],
  ['CREATE', SCHEMA], ['ALTER', SCHEMA], ['INDEX', SCHEMA], ['CREATE VIEW', SCHEMA], ['TRIGGER', SCHEMA],
  ['CREATE ROUTINE', SCHEMA], ['ALTER ROUTINE', SCHEMA], ['EVENT', SCHEMA], ['CREATE TABLESPACE', SCHEMA],
]);

/** Privileges a reader may hold: none of them writes, reaches files or administers the server. */
const HARMLESS_PRIVILEGES = new Set([
  'USAGE', 'SELECT', 'SHOW VIEW', 'SHOW DATABASES', 'EXECUTE', 'LOCK TABLES', 'CREATE TEMPORARY TABLES', 'REFERENCES',
  'SHOW CREATE ROUTINE',
]);

/** Administrative privileges worth a sentence of their own. */
const NAMED_WARNINGS: Record<string, string> = {
  PROCESS: 'PROCESS: it sees the statements, and so the data, of every session on the server',
  SHUTDOWN: 'SHUTDOWN: it can stop the server',
  PROXY: 'PROXY: it can act as other accounts',
};

export interface MysqlPrivilegesContext {
  /** Read once the session is open: the first connection tells MySQL from MariaDB. */
  readonly isMariaDb: () => boolean;
  /** For the separate connection that switches roles on. */
  readonly connectionOptions: ConnectionOptions;
}

export async function mysqlPrivileges(dialect: Dialect, context: MysqlPrivilegesContext): Promise<PrivilegeReport> {
  try {
    const session = await dialect.session({ readOnly: true, timeoutMs: TIMEOUT_MS });
    let login: string;
    const lines: string[] = [];
    let mariaDbRoles: string[] = [];
    try {
      const [loginRow] = await rowsOf(session, 'SELECT CURRENT_USER() AS login');
      login = String(loginRow?.[0]);
      lines.push(...(await rowsOf(session, 'SHOW GRANTS')).map((row) => String(row[0])));
      if (context.isMariaDb()) {
        // Directly granted roles; with a role on, SHOW GRANTS shows its nested roles too.
        const roles = await rowsOf(session, 'SELECT ROLE_NAME FROM information_schema.APPLICABLE_ROLES WHERE GRANTEE = CURRENT_USER()');
        mariaDbRoles = roles.map(([role]) => String(role));
      } else {
        lines.push(...(await mysqlRoleGrantLines(session)));
      }
    } finally {
      await session.finish('rollback').catch(() => undefined);
    }
    if (mariaDbRoles.length > 0) lines.push(...(await mariaDbRoleGrantLines(context.connectionOptions, mariaDbRoles)));
    return mysqlPrivilegeReport(login, lines);
  } catch (err) {
    throw err instanceof SqlgateError ? err : dialect.toError(err);
  }
}

const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

/** MySQL 8: SHOW GRANTS … USING adds the privileges of the roles granted to the account. */
async function mysqlRoleGrantLines(session: Session): Promise<string[]> {
  let roles: unknown[][];
  try {
    roles = await rowsOf(
      session,
      `SELECT ROLE_NAME, ROLE_HOST FROM information_schema.APPLICABLE_ROLES
        WHERE GRANTEE = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND GRANTEE_HOST = SUBSTRING_INDEX(CURRENT_USER(), '@', -1)`,
    );
  } catch {
    return []; // MySQL before 8.0.19 has no such view (and before 8.0, no roles)
  }
  if (roles.length === 0) return [];
  const using = roles.map(([name, host]) => `${quote(String(name))}@${quote(String(host))}`).join(', ');
  return (await rowsOf(session, `SHOW GRANTS FOR CURRENT_USER() USING ${using}`)).map((row) => String(row[0]));
}

/**
 * MariaDB: a role's grants are shown to its grantee only while it is on. SET ROLE is not undone by the reset of a
 * pooled connection, so it runs on a connection of its own, read-only, closed at the end whatever happens.
 */
async function mariaDbRoleGrantLines(options: ConnectionOptions, roles: readonly string[]): Promise<string[]> {
  const connection = await MysqlConnection.open(options);
  try {
    await connection.run(connection.sessionSetupSql(TIMEOUT_MS));
    await connection.run('START TRANSACTION READ ONLY');
    const lines: string[] = [];
    for (const role of roles) {
      await connection.run(`SET ROLE ${quote(role)}`);
      const rows = (await connection.run('SHOW GRANTS')) as Record<string, unknown>[];
      lines.push(...rows.map((row) => String(Object.values(row)[0])));
    }
    return lines;
  } finally {
    await connection.close();
  }
}

async function rowsOf(session: Session, sql: string): Promise<unknown[][]> {
  const cursor = session.execute(sql, []);
  try {
    const rows: unknown[][] = [];
    for (;;) {
      const batch = await cursor.read(1_000);
      rows.push(...batch.rows.map((row) => [...row]));
      if (batch.done) return rows;
    }
  } finally {
    await cursor.close();
  }
}

/** The report for the lines of SHOW GRANTS (of the account and of its roles). `login` is CURRENT_USER(). */
export function mysqlPrivilegeReport(login: string, lines: readonly string[]): PrivilegeReport {
  const user = `user ${login}`;
  const grants = [...new Set(lines)].map(parseMysqlGrant).filter((g): g is MysqlGrant & { kind: 'privileges' } => g?.kind === 'privileges');
  const found: FoundPrivilege[] = [];
  const warnings = new Map<string, FoundPrivilege>();
  for (const grant of grants) {
    const who = grant.grantee === login ? user : `${user} (through role ${grant.grantee})`;
    const revokeFrom = grant.grantee === login ? login : grant.grantee;
    const has = (name: string) => grant.privileges.includes(name);
    if (has('ALL PRIVILEGES') || has('ALL')) {
      found.push(grant.scope === 'global'
        ? {
            severity: 'danger',
            message: `${who} has ALL PRIVILEGES on *.*: it can write every table and read and write server files (FILE)`,
            fix: `grant SELECT on one database only (${SETUP})`,
            fixWhenWritable: `grant only the privileges it needs, on its own database (${SETUP})`,
            canWrite: true,
            canReachServerFiles: true,
          }
        : { severity: 'danger', message: `${who} has ALL PRIVILEGES on ${grant.object}: it can change its data and schema`, fix: `grant SELECT only (${SETUP})`, canWrite: true });
      continue;
    }
    const revoke = (privilege: string) => `REVOKE ${privilege} ON *.* FROM ${revokeFrom} (${SETUP})`;
    if (has('FILE')) {
      found.push({ severity: 'danger', message: `${who} has FILE: it can read server files with LOAD_FILE() and write them with SELECT … INTO OUTFILE`, fix: revoke('FILE'), canReachServerFiles: true });
    }
    if (has('SUPER')) {
      found.push({ severity: 'danger', message: `${who} has SUPER: it can bypass the server's read_only and point the server's log files anywhere (writing server files)`, fix: revoke('SUPER'), canReachServerFiles: true });
    }
    if (has('CREATE USER')) {
      found.push({ severity: 'danger', message: `${who} has CREATE USER: it can change other accounts' passwords and so act as any of them`, fix: revoke('CREATE USER'), canWrite: true, canReachServerFiles: true });
    }
    const writes = grant.privileges.filter((p) => WRITE_PRIVILEGES.has(p));
    if (writes.length > 0) {
      const where = grant.scope === 'global' ? 'every database (*.*)' : grant.object;
      const what = whatItChanges(writes.map((p) => WRITE_PRIVILEGES.get(p)!));
      found.push({ severity: 'danger', message: `${who} may ${writes.join(', ')} on ${where}: it can change ${what}`, fix: `revoke them and grant SELECT only (${SETUP})`, canWrite: true });
    }
    if (grant.isGrantable) {
      warnings.set('GRANT OPTION', { severity: 'warning', message: `${who} has GRANT OPTION: it can pass its privileges on to other accounts`, fix: `grant without WITH GRANT OPTION (${SETUP})` });
    }
    const others = grant.privileges.filter((p) => !HARMLESS_PRIVILEGES.has(p) && !WRITE_PRIVILEGES.has(p) && !['FILE', 'SUPER', 'CREATE USER', 'GRANT OPTION'].includes(p));
    for (const privilege of others) {
      const what = NAMED_WARNINGS[privilege] ?? `${privilege}: an administrative privilege sqlgate does not need`;
      warnings.set(privilege, { severity: 'warning', message: `${who} has ${what}`, fix: `REVOKE ${privilege} ON ${grant.object} FROM ${revokeFrom} (${SETUP})` });
    }
  }
  found.push(...warnings.values());
  return privilegeReport(login, found, `${user} cannot write or reach server files: its grants are read-only (SELECT and the like).`);
}
