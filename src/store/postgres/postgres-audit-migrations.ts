/**
 * The PostgreSQL audit trail's schema: the same two tables as the SQLite audit file (sqlite-audit-log.ts), with their
 * versions recorded in a table of their own (`sqlgate_audit_schema`), so the trail may live in the state store's
 * database or in one of its own. An append-only list: never edit a shipped migration.
 *
 * Text columns are COLLATE "C", so that `time >= since` and every comparison go by code point, as in SQLite,
 * whatever the database's locale. seq is bigint: a busy trail passes 2^31 records in months.
 */
import type { PostgresMigration, PostgresSchema } from './postgres-migrations.js';

const MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'audit records, the retention anchor, and refusing changes to either',
    // Grants decide who may INSERT and DELETE (docs/audit.md). A login granted UPDATE or TRUNCATE by mistake, or
    // the owner, still cannot rewrite a record in place: the triggers refuse both, so doing it takes disabling a
    // trigger first (ALTER TABLE, the owner only), which the chain then shows anyway. Pruning deletes; the anchor
    // is moved by DELETE and INSERT, never UPDATE.
    sql: `
      CREATE TABLE audit_records (
        seq         bigint PRIMARY KEY,
        time        text COLLATE "C" NOT NULL,
        kind        text COLLATE "C" NOT NULL,
        environment text COLLATE "C",
        user_name   text COLLATE "C",
        tool        text COLLATE "C",
        verdict     text COLLATE "C",
        payload     text NOT NULL,
        prev_hash   text COLLATE "C" NOT NULL,
        hash        text COLLATE "C" NOT NULL
      );
      CREATE INDEX audit_records_time ON audit_records (time);
      CREATE TABLE audit_anchor (
        id        integer PRIMARY KEY CHECK (id = 1),
        seq       bigint NOT NULL,
        hash      text COLLATE "C" NOT NULL,
        time      text COLLATE "C" NOT NULL,
        prev_hash text COLLATE "C" NOT NULL,
        payload   text NOT NULL
      );
      CREATE FUNCTION sqlgate_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END
      $$;
      CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR TRUNCATE ON audit_records
        FOR EACH STATEMENT EXECUTE FUNCTION sqlgate_audit_refuse_change();
      CREATE TRIGGER audit_anchor_append_only BEFORE UPDATE OR TRUNCATE ON audit_anchor
        FOR EACH STATEMENT EXECUTE FUNCTION sqlgate_audit_refuse_change();
    `,
  },
];

export const POSTGRES_AUDIT_SCHEMA: PostgresSchema = { migrations: MIGRATIONS, versionTable: 'sqlgate_audit_schema', name: 'audit trail' };
