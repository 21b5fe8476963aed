/**
 * What the SQL Server login could do beyond reading, in one catalog query on an ordinary read-only session:
 * server roles (IS_SRVROLEMEMBER), database roles (IS_ROLEMEMBER), effective permissions (HAS_PERMS_BY_NAME, which
 * counts grants through roles and honours DENY) on the server, the database and each user table or view. The user
 * objects are checked in one pass, and not at all when a server or database fact already decides the report: on a
 * database of thousands of tables (Babelfish above all) each per-object check is what costs.
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

/** The server and database facts of the report, by column: each 1, 0 or NULL (NULL: not answerable here). */
export const PRIVILEGE_FLAGS: Readonly<Record<string, string>> = {
  is_sysadmin: "IS_SRVROLEMEMBER('sysadmin')",
  is_bulkadmin: "IS_SRVROLEMEMBER('bulkadmin')",
  has_control_server: "HAS_PERMS_BY_NAME(NULL, NULL, 'CONTROL SERVER')",
  has_bulk_operations: "HAS_PERMS_BY_NAME(NULL, NULL, 'ADMINISTER BULK OPERATIONS')",
  is_db_owner: "IS_ROLEMEMBER('db_owner')",
  is_db_datawriter: "IS_ROLEMEMBER('db_datawriter')",
  is_db_ddladmin: "IS_ROLEMEMBER('db_ddladmin')",
  db_control: "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CONTROL')",
  db_alter: "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'ALTER')",
  db_insert: "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'INSERT')",
  db_update: "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'UPDATE')",
  db_delete: "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'DELETE')",
};

/**
 * The flags that, once set, make mssqlPrivilegeReport pass over writable_count: sysadmin and CONTROL SERVER end the
 * report, and a writer role or a database write permission is reported instead of single objects. Taken from the
 * tables the report reads, so that the query and the report cannot drift apart.
 */
export const FLAGS_THAT_SKIP_OBJECTS: readonly string[] = [
  'is_sysadmin',
  'has_control_server',
  ...Object.keys(WRITER_ROLES).map((role) => `is_${role}`),
  ...Object.keys(DATABASE_WRITES).map((permission) => `db_${permission}`),
];

/**
 * User tables and views on which the login holds INSERT, UPDATE or DELETE (directly, through a role or the schema;
 * HAS_PERMS_BY_NAME honours DENY), numbered by schema and name: one pass over sys.objects.
 *
 * The first conditions read only the outer row `f`, never the object: constant for the whole scan. SQL Server puts
 * them in a Filter with a startup expression above the scan, PostgreSQL (Babelfish) in a one-time filter; when one
 * of the flags above is set, the scan and its three HAS_PERMS_BY_NAME calls per object never run, since the report
 * would not read their result. Comparing `f`'s columns, not calling IS_ROLEMEMBER … again, keeps each function to
 * one call even where an engine would evaluate the filter per row.
 */
const WRITABLE_OBJECTS = `SELECT ${OBJECT_NAME} AS qualified_name,
               ROW_NUMBER() OVER (ORDER BY SCHEMA_NAME(o.schema_id), o.name) AS rn
          FROM sys.objects o
         WHERE ${FLAGS_THAT_SKIP_OBJECTS.map((flag) => `COALESCE(f.${flag}, 0) <> 1`).join('\n           AND ')}
           AND o.type IN ('U', 'V') AND o.is_ms_shipped = 0
           AND (HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'INSERT') = 1
             OR HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'UPDATE') = 1
             OR HAS_PERMS_BY_NAME(${OBJECT_NAME}, 'OBJECT', 'DELETE') = 1)`;

/**
 * One row, one statement. `f` is the login, the database and the flags, each function called once; the CROSS APPLY
 * counts the writable objects and names the first three in the same pass (an aggregate without GROUP BY: always one
 * row, 0 and NULLs when nothing is writable or the scan was skipped).
 */
export const MSSQL_PRIVILEGES_SQL = `SELECT f.*, w.*
  FROM (SELECT SUSER_SNAME() AS login_name, USER_NAME() AS user_name, DB_NAME() AS database_name,
               ${Object.entries(PRIVILEGE_FLAGS).map(([column, sql]) => `${sql} AS ${column}`).join(',\n               ')}) f
 CROSS APPLY (
  SELECT COUNT(*) AS writable_count,
         ${[1, 2, 3].map((n) => `MAX(CASE WHEN ranked.rn = ${n} THEN ranked.qualified_name END) AS writable_${n}`).join(',\n         ')}
    FROM (${WRITABLE_OBJECTS}) ranked
 ) w`;

export async function mssqlPrivileges(dialect: Dialect): Promise<PrivilegeReport> {
  const [row] = await catalogQuery(dialect, MSSQL_PRIVILEGES_SQL);
  if (!row) throw new InternalError('SQL Server returned no row for the privilege check.');
  return mssqlPrivilegeReport(row);
}

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
