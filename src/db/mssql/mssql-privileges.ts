/**
 * What the SQL Server login could do beyond reading, in one catalog query on an ordinary read-only session:
 * server roles (IS_SRVROLEMEMBER), database roles (IS_ROLEMEMBER), effective permissions (HAS_PERMS_BY_NAME, which
 * counts grants through roles and honours DENY) on the server, the database and each user table or view.
 *
 * Server files: a sysadmin or CONTROL SERVER login can run xp_cmdshell and read any file; ADMINISTER BULK
 * OPERATIONS (the bulkadmin role) reads files on the server with OPENROWSET(BULK …) and BULK INSERT. Azure SQL
 * Database has no server-level permissions: those functions answer NULL there, which counts as "no".
 * The row shaping is a pure function, tested without a server.
 */
import { InternalError } from '../../errors.js';
import { catalogQuery, toNumberOrNull } from '../catalog-query.js';
import type { Dialect, PrivilegeReport } from '../dialect.js';
import { privilegeReport, someNames, whatItChanges, type FoundPrivilege, type WriteScope } from '../privilege-report.js';

const SETUP = 'docs/dialects/mssql.md#least-privilege-login';

const OBJECT_NAME = `QUOTENAME(SCHEMA_NAME(o.schema_id)) + '.' + QUOTENAME(o.name)`;
/** User tables and views on which the login holds INSERT, UPDATE or DELETE (directly, through a role or the schema). */
const WRITABLE_OBJECTS = `FROM sys.objects o
 WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0
   AND (HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'INSERT') = 1
     OR HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'UPDATE') = 1
     OR HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'DELETE') = 1)`;

export const MSSQL_PRIVILEGES_SQL = `SELECT SUSER_SNAME() AS login_name, USER_NAME() AS user_name, DB_NAME() AS database_name,
       IS_SRVROLEMEMBER('sysadmin') AS is_sysadmin,
       IS_SRVROLEMEMBER('bulkadmin') AS is_bulkadmin,
       HAS_PERMS_BY_NAME(NULL, NULL, 'CONTROL SERVER') AS has_control_server,
       HAS_PERMS_BY_NAME(NULL, NULL, 'ADMINISTER BULK OPERATIONS') AS has_bulk_operations,
       IS_ROLEMEMBER('db_owner') AS is_db_owner,
       IS_ROLEMEMBER('db_datawriter') AS is_db_datawriter,
       IS_ROLEMEMBER('db_ddladmin') AS is_db_ddladmin,
       HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONTROL') AS db_control,
       HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'ALTER') AS db_alter,
       HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'INSERT') AS db_insert,
       HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'UPDATE') AS db_update,
       HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'DELETE') AS db_delete,
       (SELECT COUNT(*) ${WRITABLE_OBJECTS}) AS writable_count,
       ${[0, 1, 2].map((i) => `(SELECT ${OBJECT_NAME} ${WRITABLE_OBJECTS}
         ORDER BY SCHEMA_NAME(o.schema_id), o.name OFFSET ${i} ROWS FETCH NEXT 1 ROWS ONLY) AS writable_${i + 1}`).join(',\n       ')}`;

export async function mssqlPrivileges(dialect: Dialect): Promise<PrivilegeReport> {
  const [row] = await catalogQuery(dialect, MSSQL_PRIVILEGES_SQL);
  if (!row) throw new InternalError('SQL Server returned no row for the privilege check.');
  return mssqlPrivilegeReport(row);
}

/** Database roles that write, and what each lets its members change. */
const WRITER_ROLES: Record<string, string> = {
  db_owner: 'change the data and schema of every table',
  db_datawriter: 'change the data of every table',
  db_ddladmin: 'create, alter and drop any table (the schema)',
};

/** Database permissions that write, and what each lets the login change. */
const DATABASE_WRITES: Record<string, WriteScope> = {
  control: { data: true, schema: true },
  alter: { data: false, schema: true },
  insert: { data: true, schema: false },
  update: { data: true, schema: false },
  delete: { data: true, schema: false },
};

/** The report for one row of MSSQL_PRIVILEGES_SQL. */
export function mssqlPrivilegeReport(row: Record<string, unknown>): PrivilegeReport {
  const isSet = (key: string) => toNumberOrNull(row[key]) === 1 || row[key] === true;
  const loginName = String(row.login_name);
  const userName = row.user_name === null || row.user_name === undefined ? null : String(row.user_name);
  const login = userName === null || userName === loginName ? loginName : `${loginName} (database user ${userName})`;
  const who = `login ${login}`;
  const database = String(row.database_name);
  const allClear = `${who} cannot write or reach server files: no writer or owner role, no write permission in ${database}, no bulk or server control permission.`;
  if (isSet('is_sysadmin') || isSet('has_control_server')) {
    const what = isSet('is_sysadmin') ? 'is a member of sysadmin' : 'has CONTROL SERVER';
    return privilegeReport(login, [{
      severity: 'danger',
      message: `${who} ${what}: it can write every database and read server files (OPENROWSET(BULK …), xp_cmdshell)`,
      fix: `serve this environment with a login that is only in db_datareader (${SETUP})`,
      fixWhenWritable: `serve this environment with a login that is only in db_datareader and db_datawriter of its database (${SETUP})`,
      canWrite: true,
      canReachServerFiles: true,
    }], allClear);
  }
  const found: FoundPrivilege[] = [];
  if (isSet('has_bulk_operations') || isSet('is_bulkadmin')) {
    found.push({
      severity: 'danger',
      message: `${who} has ADMINISTER BULK OPERATIONS (bulkadmin): it can read files on the server with OPENROWSET(BULK …)`,
      fix: `remove it from bulkadmin and revoke the permission (${SETUP})`,
      canReachServerFiles: true,
    });
  }
  const roles = Object.keys(WRITER_ROLES).filter((role) => isSet(`is_${role}`));
  for (const role of roles) {
    found.push({
      severity: 'danger',
      message: `${who} is a member of ${role} in ${database}: it can ${WRITER_ROLES[role]}`,
      fix: `ALTER ROLE ${role} DROP MEMBER ${userName ?? loginName} (${SETUP})`,
      canWrite: true,
    });
  }
  const databaseWrites = Object.keys(DATABASE_WRITES).filter((p) => isSet(`db_${p}`));
  if (roles.length === 0 && databaseWrites.length > 0) {
    const what = whatItChanges(databaseWrites.map((p) => DATABASE_WRITES[p]!));
    found.push({
      severity: 'danger',
      message: `${who} holds ${databaseWrites.map((p) => p.toUpperCase()).join(', ')} on database ${database}: it can change ${what}`,
      fix: `revoke them, or DENY INSERT, UPDATE, DELETE, ALTER TO ${userName ?? loginName} (${SETUP})`,
      canWrite: true,
    });
  }
  const writable = toNumberOrNull(row.writable_count) ?? 0;
  if (roles.length === 0 && databaseWrites.length === 0 && writable > 0) {
    // Three columns rather than STRING_AGG, which SQL Server 2016 lacks.
    const examples = [row.writable_1, row.writable_2, row.writable_3].filter((name) => typeof name === 'string');
    found.push({
      severity: 'danger',
      message: `${who} may INSERT, UPDATE or DELETE ${writable} table${writable === 1 ? '' : 's'} or view${writable === 1 ? '' : 's'} (${someNames(examples, writable)}): it can change their data`,
      fix: `revoke those permissions and grant SELECT only (${SETUP})`,
      canWrite: true,
    });
  }
  return privilegeReport(login, found, allClear);
}
