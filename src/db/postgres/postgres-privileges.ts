/**
 * What the PostgreSQL login could do beyond reading, from pg_roles, pg_class and pg_namespace with the has_*_privilege
 * and pg_has_role functions, in one catalog query on an ordinary read-only session.
 *
 * Role membership counts with 'MEMBER', not 'USAGE': a member without INHERIT can still SET ROLE to the role and use
 * its privileges. Ownership is checked apart from the table privileges: an owner whose INSERT was revoked can grant
 * it back to itself at any time.
 */
import { InternalError } from '../../errors.js';
import { catalogQuery, toNumberOrNull } from '../catalog-query.js';
import type { Dialect, PrivilegeReport } from '../dialect.js';
import { privilegeReport, someNames, type FoundPrivilege } from '../privilege-report.js';

const SETUP = 'docs/dialects/postgres.md#least-privilege-login';

/** Predefined roles that reach past the database into the server, and what each allows. */
const SERVER_ROLES: Record<string, { does: string; canWrite: boolean; canReachServerFiles: boolean }> = {
  pg_read_server_files: { does: 'read any file the server can (COPY … FROM a file, pg_read_file)', canWrite: false, canReachServerFiles: true },
  pg_write_server_files: { does: 'write files on the server (COPY … TO a file)', canWrite: false, canReachServerFiles: true },
  pg_execute_server_program: { does: 'run programs on the server as its OS user (COPY … PROGRAM)', canWrite: true, canReachServerFiles: true },
  pg_write_all_data: { does: 'write every table, view and sequence', canWrite: true, canReachServerFiles: false },
};

/** Schemas of user objects: pg_catalog, pg_toast*, pg_temp_* and information_schema belong to the system. */
const USER_SCHEMA = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;

/** Relations whose data a privilege or ownership lets the login change (views may be updatable). */
const WRITABLE_RELATIONS = `FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'f', 'm') AND ${USER_SCHEMA}`;

const HAS_WRITE = `pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')`;
const IS_OWNER = `pg_catalog.pg_has_role(c.relowner, 'MEMBER')`;
const QUALIFIED = `pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)`;

export const POSTGRES_PRIVILEGES_SQL = `
SELECT current_user::text AS login, current_database()::text AS database,
       r.rolsuper AS is_superuser, r.rolcreaterole AS can_create_roles, r.rolcreatedb AS can_create_databases,
       r.rolreplication AS can_replicate, r.rolbypassrls AS bypasses_rls,
       current_setting('server_version_num')::int AS server_version,
       pg_catalog.has_database_privilege(current_database(), 'CREATE') AS can_create_schemas,
       ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_roles g
              WHERE g.rolname IN (${Object.keys(SERVER_ROLES).map((name) => `'${name}'`).join(', ')})
                AND pg_catalog.pg_has_role(g.oid, 'MEMBER') ORDER BY 1) AS server_roles,
       ARRAY(SELECT n.nspname::text FROM pg_catalog.pg_namespace n
              WHERE ${USER_SCHEMA} AND pg_catalog.has_schema_privilege(n.oid, 'CREATE') ORDER BY 1) AS creatable_schemas,
       (SELECT count(*) ${WRITABLE_RELATIONS} AND c.relkind <> 'm' AND ${HAS_WRITE}) AS writable_count,
       ARRAY(SELECT ${QUALIFIED} ${WRITABLE_RELATIONS} AND c.relkind <> 'm' AND ${HAS_WRITE} ORDER BY 1 LIMIT 3) AS writable_examples,
       (SELECT count(*) ${WRITABLE_RELATIONS} AND ${IS_OWNER}) AS owned_count,
       ARRAY(SELECT ${QUALIFIED} ${WRITABLE_RELATIONS} AND ${IS_OWNER} ORDER BY 1 LIMIT 3) AS owned_examples
  FROM pg_catalog.pg_roles r
 WHERE r.rolname = current_user`;

export async function postgresPrivileges(dialect: Dialect): Promise<PrivilegeReport> {
  const [row] = await catalogQuery(dialect, POSTGRES_PRIVILEGES_SQL);
  if (!row) throw new InternalError('PostgreSQL has no pg_roles row for the current role.');
  return postgresPrivilegeReport(row);
}

/** The report for one row of POSTGRES_PRIVILEGES_SQL. */
export function postgresPrivilegeReport(row: Record<string, unknown>): PrivilegeReport {
  const login = String(row.login);
  const role = `role ${login}`;
  const allClear = `${role} cannot write or reach server files: it has no write privilege, owns no table and may create nothing.`;
  if (row.is_superuser === true) {
    return privilegeReport(login, [{
      severity: 'danger',
      message: `${role} is a superuser: it can write any table and read and write server files`,
      fix: `serve this environment with a role that has SELECT only (${SETUP})`,
      fixWhenWritable: `serve this environment with a role that is not a superuser and holds only the write privileges it needs (${SETUP})`,
      canWrite: true,
      canReachServerFiles: true,
    }], allClear);
  }
  const found: FoundPrivilege[] = [];
  for (const name of texts(row.server_roles)) {
    const power = SERVER_ROLES[name]!;
    found.push({
      severity: 'danger',
      message: `${role} is a member of ${name}: it can ${power.does}`,
      fix: `revoke it (REVOKE ${name} FROM ${login}) (${SETUP})`,
      canWrite: power.canWrite,
      canReachServerFiles: power.canReachServerFiles,
    });
  }
  const writable = toNumberOrNull(row.writable_count) ?? 0;
  if (writable > 0) {
    found.push({
      severity: 'danger',
      message: `${role} may INSERT, UPDATE, DELETE or TRUNCATE ${plural(writable, 'table')} (${someNames(texts(row.writable_examples), writable)}): it can change their data`,
      fix: `revoke those privileges and grant SELECT only (${SETUP})`,
      canWrite: true,
    });
  }
  const owned = toNumberOrNull(row.owned_count) ?? 0;
  if (owned > 0) {
    found.push({
      severity: 'danger',
      message: `${role} owns ${plural(owned, 'table')} (${someNames(texts(row.owned_examples), owned)}) itself or through a role: an owner can always change their data and schema and grant itself any privilege on them`,
      fix: `let the role that runs your migrations own them (${SETUP})`,
      canWrite: true,
    });
  }
  const schemas = texts(row.creatable_schemas);
  if (schemas.length > 0) {
    found.push({
      severity: 'danger',
      message: `${role} may create objects in schema ${someNames(schemas)}: it can change the schema`,
      fix: `REVOKE CREATE ON SCHEMA … FROM ${login} and FROM PUBLIC (${SETUP})`,
      canWrite: true,
    });
  }
  if (row.can_create_schemas === true) {
    const database = String(row.database);
    found.push({
      severity: 'danger',
      message: `${role} may create schemas in database ${database}: it can change the schema`,
      fix: `REVOKE CREATE ON DATABASE ${database} FROM ${login} (and FROM PUBLIC) (${SETUP})`,
      canWrite: true,
    });
  }
  found.push(...roleAttributes(row, role, login));
  return privilegeReport(login, found, allClear);
}

/** CREATEROLE, CREATEDB, REPLICATION and BYPASSRLS: powers beyond the tables, none of which sqlgate needs. */
function roleAttributes(row: Record<string, unknown>, role: string, login: string): FoundPrivilege[] {
  const found: FoundPrivilege[] = [];
  const revoke = (attribute: string) => `ALTER ROLE ${login} NO${attribute} (${SETUP})`;
  if (row.can_create_roles === true) {
    // Before PostgreSQL 16, CREATEROLE could grant membership in any role but superuser, pg_write_all_data and
    // pg_read_server_files included: it is as good as having them.
    const isEscalation = (toNumberOrNull(row.server_version) ?? 0) < 160_000;
    found.push(isEscalation
      ? {
          severity: 'danger',
          message: `${role} has CREATEROLE: before PostgreSQL 16 that lets it grant itself pg_write_all_data or pg_read_server_files`,
          fix: revoke('CREATEROLE'),
          canWrite: true,
          canReachServerFiles: true,
        }
      : { severity: 'warning', message: `${role} has CREATEROLE: it can create and manage other roles`, fix: revoke('CREATEROLE') });
  }
  if (row.can_create_databases === true) {
    found.push({ severity: 'warning', message: `${role} has CREATEDB: it can create databases on the server`, fix: revoke('CREATEDB') });
  }
  if (row.can_replicate === true) {
    found.push({ severity: 'warning', message: `${role} has REPLICATION: it can stream a copy of the whole cluster, past every table privilege`, fix: revoke('REPLICATION') });
  }
  if (row.bypasses_rls === true) {
    found.push({ severity: 'warning', message: `${role} has BYPASSRLS: it reads rows that row-level security would hide`, fix: revoke('BYPASSRLS') });
  }
  return found;
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
