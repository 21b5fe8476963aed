/**
 * Every PostgreSQL statement kind the gate knows, and what it does with it. A statement type missing here is
 * refused as unknown (fail closed).
 *
 * - `select`, `explain`, `show`: reads (SELECT is walked; it may still turn out to write: FOR UPDATE, INTO,
 *   a data-modifying WITH, nextval()).
 * - `dml`: INSERT/UPDATE/DELETE/MERGE, kind `write`.
 * - `ddl`: schema changes and maintenance, kind `ddl`; the caller refuses both in read-only environments.
 * - `refused`: refused in every environment — transaction control, session state, COPY, code, server
 *   administration. sqlgate runs one statement per call on a pooled connection in a transaction it owns, so these
 *   either break that contract, outlive the call, or reach beyond the database.
 */
import type { ReadOnlyError } from '../../errors.js';
import { postgresRefusal, STATEMENTS_HINT } from './postgres-refusal.js';

export type StatementBody = Readonly<Record<string, unknown>>;

export type StatementRule =
  | { readonly handling: 'select' | 'explain' | 'show' }
  | { readonly handling: 'dml' }
  | { readonly handling: 'ddl'; readonly name: (body: StatementBody) => string; readonly isDestructive: (body: StatementBody) => boolean }
  | { readonly handling: 'refused'; readonly name: (body: StatementBody) => string; readonly why: (body: StatementBody) => string; readonly hint?: string };

const TRANSACTION = 'sqlgate runs each call in a transaction of its own and ends it itself';
const SESSION_STATE =
  'the environment owns the session state: a change could outlive the call on the pooled connection, or lift the statement timeout or the read-only transaction';
const SESSION_BOUND = 'it depends on prepared statements or cursors of the pooled session, which belong to no one call';
const CODE = 'it installs or runs code that the gate cannot check';
const ADMIN = 'server administration (roles, databases, tablespaces, extensions, foreign servers, replication, server settings) is out of scope for sqlgate';

const fixed = (text: string) => (): string => text;
const never = (): boolean => false;
const always = (): boolean => true;

function ddl(name: string, isDestructive: (body: StatementBody) => boolean = never): StatementRule {
  return { handling: 'ddl', name: fixed(name), isDestructive };
}

function refused(name: string | ((body: StatementBody) => string), why: string | ((body: StatementBody) => string), hint?: string): StatementRule {
  const rule = { handling: 'refused' as const, name: typeof name === 'string' ? fixed(name) : name, why: typeof why === 'string' ? fixed(why) : why };
  return hint === undefined ? rule : { ...rule, hint };
}

/** `OBJECT_MATVIEW` → `MATERIALIZED VIEW`. */
function objectName(objectType: unknown): string {
  const name = String(objectType ?? '').replace(/^OBJECT_/, '');
  return name === 'MATVIEW' ? 'MATERIALIZED VIEW' : name.replaceAll('_', ' ');
}

const TRANSACTION_NAMES: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN', TRANS_STMT_START: 'START TRANSACTION', TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK', TRANS_STMT_SAVEPOINT: 'SAVEPOINT', TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT', TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED', TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

function setName(body: StatementBody): string {
  const kind = String(body['kind'] ?? '');
  const name = String(body['name'] ?? '');
  if (name === 'role') return 'SET ROLE';
  if (name === 'session_authorization') return 'SET SESSION AUTHORIZATION';
  if (kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL') return 'RESET';
  if (kind === 'VAR_SET_MULTI') return `SET ${name}`;
  return 'SET';
}

function setWhy(body: StatementBody): string {
  const name = String(body['name'] ?? '');
  return name === 'role' || name === 'session_authorization' ? 'it changes whom the session acts as' : SESSION_STATE;
}

function copyWhy(body: StatementBody): string {
  if (body['is_program'] === true) return 'it runs a shell command on the database server';
  if (typeof body['filename'] === 'string') return 'it reads or writes files on the database server';
  return 'sqlgate does not speak the COPY protocol';
}

function hasAlterCommand(body: StatementBody, subtypes: ReadonlySet<string>): boolean {
  const cmds = Array.isArray(body['cmds']) ? body['cmds'] : [];
  return cmds.some((cmd) => subtypes.has(String((cmd as { AlterTableCmd?: { subtype?: unknown } }).AlterTableCmd?.subtype)));
}

/** ALTER TABLE commands that throw data away. */
const DESTRUCTIVE_ALTER = new Set(['AT_DropColumn']);

const RULES: ReadonlyMap<string, StatementRule> = new Map<string, StatementRule>([
  ['SelectStmt', { handling: 'select' }],
  ['ExplainStmt', { handling: 'explain' }],
  ['VariableShowStmt', { handling: 'show' }],

  ['InsertStmt', { handling: 'dml' }],
  ['UpdateStmt', { handling: 'dml' }],
  ['DeleteStmt', { handling: 'dml' }],
  ['MergeStmt', { handling: 'dml' }],

  ['CreateStmt', ddl('CREATE TABLE')],
  ['CreateTableAsStmt', { handling: 'ddl', name: (b) => `CREATE ${objectName(b['objtype'])} AS`, isDestructive: never }],
  ['ViewStmt', ddl('CREATE VIEW')],
  ['IndexStmt', ddl('CREATE INDEX')],
  ['CreateSchemaStmt', ddl('CREATE SCHEMA')],
  ['CreateSeqStmt', ddl('CREATE SEQUENCE')],
  ['AlterSeqStmt', ddl('ALTER SEQUENCE')],
  ['CreateDomainStmt', ddl('CREATE DOMAIN')],
  ['AlterDomainStmt', ddl('ALTER DOMAIN')],
  ['CompositeTypeStmt', ddl('CREATE TYPE')],
  ['CreateEnumStmt', ddl('CREATE TYPE … AS ENUM')],
  ['AlterEnumStmt', ddl('ALTER TYPE')],
  ['CreateRangeStmt', ddl('CREATE TYPE … AS RANGE')],
  ['AlterTypeStmt', ddl('ALTER TYPE')],
  ['AlterTableStmt', ddl('ALTER TABLE', (b) => hasAlterCommand(b, DESTRUCTIVE_ALTER))],
  ['RenameStmt', ddl('ALTER … RENAME')],
  ['AlterObjectSchemaStmt', ddl('ALTER … SET SCHEMA')],
  ['AlterOwnerStmt', ddl('ALTER … OWNER TO')],
  ['CommentStmt', ddl('COMMENT')],
  ['GrantStmt', { handling: 'ddl', name: (b) => (b['is_grant'] === true ? 'GRANT' : 'REVOKE'), isDestructive: never }],
  ['AlterDefaultPrivilegesStmt', ddl('ALTER DEFAULT PRIVILEGES')],
  ['CreatePolicyStmt', ddl('CREATE POLICY')],
  ['AlterPolicyStmt', ddl('ALTER POLICY')],
  ['CreateStatsStmt', ddl('CREATE STATISTICS')],
  ['AlterStatsStmt', ddl('ALTER STATISTICS')],
  ['AlterCollationStmt', ddl('ALTER COLLATION')],
  ['AlterTSDictionaryStmt', ddl('ALTER TEXT SEARCH DICTIONARY')],
  ['AlterTSConfigurationStmt', ddl('ALTER TEXT SEARCH CONFIGURATION')],
  ['RefreshMatViewStmt', ddl('REFRESH MATERIALIZED VIEW')],
  ['VacuumStmt', { handling: 'ddl', name: (b) => (b['is_vacuumcmd'] === true ? 'VACUUM' : 'ANALYZE'), isDestructive: never }],
  ['ClusterStmt', ddl('CLUSTER')],
  ['ReindexStmt', ddl('REINDEX')],
  ['DropStmt', { handling: 'ddl', name: (b) => `DROP ${objectName(b['removeType'])}`, isDestructive: always }],
  ['TruncateStmt', ddl('TRUNCATE', always)],

  ['TransactionStmt', refused((b) => TRANSACTION_NAMES[String(b['kind'])] ?? 'transaction control', TRANSACTION)],
  ['ConstraintsSetStmt', refused('SET CONSTRAINTS', TRANSACTION)],
  ['VariableSetStmt', refused(setName, setWhy, 'SHOW <setting> reads a setting; the environment configures the session.')],
  ['DiscardStmt', refused('DISCARD', SESSION_STATE)],
  ['ListenStmt', refused('LISTEN', 'it subscribes the pooled session to notifications')],
  ['UnlistenStmt', refused('UNLISTEN', 'it changes notification subscriptions of the pooled session')],
  ['NotifyStmt', refused('NOTIFY', 'it sends a notification to other sessions')],
  ['PrepareStmt', refused('PREPARE', SESSION_BOUND)],
  ['ExecuteStmt', refused('EXECUTE', 'it runs a prepared statement the gate never saw')],
  ['DeallocateStmt', refused('DEALLOCATE', SESSION_BOUND)],
  ['DeclareCursorStmt', refused('DECLARE … CURSOR', 'sqlgate fetches rows itself; cursors belong to the pooled session')],
  ['FetchStmt', refused('FETCH', SESSION_BOUND)],
  ['ClosePortalStmt', refused('CLOSE', SESSION_BOUND)],
  ['LockStmt', refused('LOCK', 'an explicit lock blocks other sessions and serves nothing in a one-statement call')],
  ['CopyStmt', refused((b) => (b['is_program'] === true ? 'COPY … PROGRAM' : 'COPY'), copyWhy,
    'Read rows with SELECT (the row limit applies); in writable environments, add rows with INSERT.')],

  ['DoStmt', refused('DO', CODE)],
  ['CallStmt', refused('CALL', 'a procedure is not known to be free of side effects and may control transactions')],
  ['CreateFunctionStmt', refused('CREATE FUNCTION/PROCEDURE', CODE)],
  ['AlterFunctionStmt', refused('ALTER FUNCTION/PROCEDURE', CODE)],
  ['DefineStmt', refused((b) => `CREATE ${objectName(b['kind'])}`, 'it defines callable objects (aggregates, operators, base types) on top of functions')],
  ['CreateCastStmt', refused('CREATE CAST', CODE)],
  ['CreateTransformStmt', refused('CREATE TRANSFORM', CODE)],
  ['CreateConversionStmt', refused('CREATE CONVERSION', CODE)],
  ['CreateOpClassStmt', refused('CREATE OPERATOR CLASS', CODE)],
  ['CreateOpFamilyStmt', refused('CREATE OPERATOR FAMILY', CODE)],
  ['AlterOpFamilyStmt', refused('ALTER OPERATOR FAMILY', CODE)],
  ['AlterOperatorStmt', refused('ALTER OPERATOR', CODE)],
  ['AlterObjectDependsStmt', refused('ALTER … DEPENDS ON EXTENSION', CODE)],
  ['RuleStmt', refused('CREATE RULE', 'a rewrite rule runs statements on later events, unseen by the gate')],
  ['CreateTrigStmt', refused('CREATE TRIGGER', 'a trigger runs a function on later writes, unseen by the gate')],
  ['CreateEventTrigStmt', refused('CREATE EVENT TRIGGER', CODE)],
  ['AlterEventTrigStmt', refused('ALTER EVENT TRIGGER', CODE)],
  ['CreatePLangStmt', refused('CREATE LANGUAGE', CODE)],
  ['CreateAmStmt', refused('CREATE ACCESS METHOD', CODE)],
  ['LoadStmt', refused('LOAD', 'it loads a shared library from the server file system')],

  ['AlterSystemStmt', refused('ALTER SYSTEM', 'it writes the server configuration file')],
  ['CheckPointStmt', refused('CHECKPOINT', ADMIN)],
  ['CreateRoleStmt', refused('CREATE ROLE', ADMIN)],
  ['AlterRoleStmt', refused('ALTER ROLE', ADMIN)],
  ['AlterRoleSetStmt', refused('ALTER ROLE … SET', ADMIN)],
  ['DropRoleStmt', refused('DROP ROLE', ADMIN)],
  ['GrantRoleStmt', refused('GRANT/REVOKE role membership', ADMIN)],
  ['DropOwnedStmt', refused('DROP OWNED', ADMIN)],
  ['ReassignOwnedStmt', refused('REASSIGN OWNED', ADMIN)],
  ['CreatedbStmt', refused('CREATE DATABASE', ADMIN)],
  ['AlterDatabaseStmt', refused('ALTER DATABASE', ADMIN)],
  ['AlterDatabaseSetStmt', refused('ALTER DATABASE … SET', ADMIN)],
  ['AlterDatabaseRefreshCollStmt', refused('ALTER DATABASE … REFRESH COLLATION VERSION', ADMIN)],
  ['DropdbStmt', refused('DROP DATABASE', ADMIN)],
  ['CreateTableSpaceStmt', refused('CREATE TABLESPACE', 'it uses a directory of the server file system')],
  ['DropTableSpaceStmt', refused('DROP TABLESPACE', ADMIN)],
  ['AlterTableSpaceOptionsStmt', refused('ALTER TABLESPACE', ADMIN)],
  ['AlterTableMoveAllStmt', refused('ALTER … ALL IN TABLESPACE', ADMIN)],
  ['CreateExtensionStmt', refused('CREATE EXTENSION', ADMIN)],
  ['AlterExtensionStmt', refused('ALTER EXTENSION', ADMIN)],
  ['AlterExtensionContentsStmt', refused('ALTER EXTENSION', ADMIN)],
  ['CreateFdwStmt', refused('CREATE FOREIGN DATA WRAPPER', ADMIN)],
  ['AlterFdwStmt', refused('ALTER FOREIGN DATA WRAPPER', ADMIN)],
  ['CreateForeignServerStmt', refused('CREATE SERVER', 'a foreign server reaches other hosts over the network')],
  ['AlterForeignServerStmt', refused('ALTER SERVER', ADMIN)],
  ['CreateForeignTableStmt', refused('CREATE FOREIGN TABLE', 'a foreign table reads other servers or server files')],
  ['CreateUserMappingStmt', refused('CREATE USER MAPPING', ADMIN)],
  ['AlterUserMappingStmt', refused('ALTER USER MAPPING', ADMIN)],
  ['DropUserMappingStmt', refused('DROP USER MAPPING', ADMIN)],
  ['ImportForeignSchemaStmt', refused('IMPORT FOREIGN SCHEMA', ADMIN)],
  ['CreatePublicationStmt', refused('CREATE PUBLICATION', ADMIN)],
  ['AlterPublicationStmt', refused('ALTER PUBLICATION', ADMIN)],
  ['CreateSubscriptionStmt', refused('CREATE SUBSCRIPTION', 'a subscription connects to another server')],
  ['AlterSubscriptionStmt', refused('ALTER SUBSCRIPTION', ADMIN)],
  ['DropSubscriptionStmt', refused('DROP SUBSCRIPTION', ADMIN)],
  ['SecLabelStmt', refused('SECURITY LABEL', ADMIN)],
]);

/** The rule for a statement type, or `undefined` for a type the gate does not know (refuse it). */
export function postgresStatementRule(type: string): StatementRule | undefined {
  return RULES.get(type);
}

/** The refusal of a statement refused in every environment, or of one the gate does not know. */
export function statementRefusal(type: string, body: StatementBody, rule = RULES.get(type)): ReadOnlyError {
  if (rule?.handling !== 'refused') {
    return postgresRefusal(`The ${type} statement is not known to the gate; it refuses what it does not know.`, STATEMENTS_HINT);
  }
  return postgresRefusal(`${rule.name(body)} is refused: ${rule.why(body)}.`, rule.hint ?? STATEMENTS_HINT);
}
