/**
 * `sqlgate backup FILE` and `sqlgate restore FILE`: sqlgate's own state (users, tokens, OAuth clients and grants,
 * signing keys) and its audit trail, copied consistently while a server runs, and put back into a fresh or stopped
 * instance. SQLite stores only: a PostgreSQL store is backed up with pg_dump, as docs/operations/backup.md shows.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { verifyAudit } from '../audit/verify-audit.js';
import type { Config, StoreConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { loadBackupBundle, openAuditLog, openStateStore, type BackupSource } from '../store/open-state-store.js';
import { SQLGATE_VERSION } from '../version.js';
import { EXIT_FAILURE } from './exit.js';
import { withConfigOptions, withStore } from './with-store.js';

export interface BackupCommandDeps {
  readonly stdout: (text: string) => void;
  readonly loadConfig: (options: { config?: string; dir?: string }) => Config;
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
}

const PG_DUMP_HINT = 'Back up a PostgreSQL store with pg_dump (docs/operations/backup.md).';

export function addBackupCommands(program: Command, deps: BackupCommandDeps): void {
  withConfigOptions(program.command('backup <file>'))
    .description('Copy the state store and the audit trail into one file, consistently, while sqlgate runs (SQLite stores).')
    .action(deps.guard(async (file: string, options: { config?: string; dir?: string }) => {
      const config = deps.loadConfig(options);
      const sources = sqliteParts(config);
      if (sources.length === 0) throw new InvalidInputError('The state store and the audit trail are both on PostgreSQL: there is no SQLite file to back up.', { hint: PG_DUMP_HINT });
      const { writeBackupBundle } = await loadBackupBundle();
      const manifest = await writeBackupBundle(file, sources, SQLGATE_VERSION);
      const skipped = [config.store, config.audit.store].filter((s) => s.kind === 'postgres').length;
      deps.stdout(`Backed up ${manifest.parts.map((p) => `${p.name} (${p.bytes} bytes)`).join(' and ')} to ${file} at ${manifest.createdAt}.\n`
        + (skipped > 0 ? `Not in it: the store${skipped > 1 ? 's' : ''} on PostgreSQL. ${PG_DUMP_HINT}\n` : '')
        + 'It holds password hashes and signing keys: keep it as private as the store itself.\n');
    }));

  withConfigOptions(program.command('restore <file>'))
    .description('Put a backup made by "sqlgate backup" in place of the configured state store and audit trail. Stop sqlgate first.')
    .option('-f, --force', 'replace existing files (sqlgate must be stopped)')
    .action(deps.guard(async (file: string, options: { config?: string; dir?: string; force?: boolean }) => {
      const config = deps.loadConfig(options);
      const { readBackupBundle, restorePart } = await loadBackupBundle();
      const { manifest, parts } = readBackupBundle(file);
      const targets = new Map<string, StoreConfig>([['state', config.store], ['audit', config.audit.store]]);
      // Check every part's target before writing any, so a restore does all of its work or none.
      for (const part of parts) {
        const target = targets.get(part.name);
        if (!target) throw new InvalidInputError(`${file} has a part "${part.name}" that this sqlgate does not know.`);
        if (target.kind !== 'sqlite') {
          throw new InvalidInputError(`The backup's ${part.name} part is a SQLite file, but the configuration keeps the ${part.name === 'state' ? 'state store (store.url)' : 'audit trail (audit.url)'} on PostgreSQL.`, {
            hint: 'Restore into a configuration with SQLite stores, or restore PostgreSQL stores with pg_restore (docs/operations/backup.md).',
          });
        }
      }
      for (const part of parts) restorePart(part, (targets.get(part.name) as { file: string }).file, options.force === true);
      deps.stdout(`Restored ${parts.map((p) => p.name).join(' and ')} from ${file} (made ${manifest.createdAt} by sqlgate ${manifest.sqlgateVersion}).\n`);
      // Open what was restored, as a server would: migrations run, and the trail is verified.
      const state = await openStateStore(config.store);
      const users = (await state.users.list()).length;
      await state.close();
      deps.stdout(`The state store opens: ${users} user${users === 1 ? '' : 's'}.\n`);
      if (!parts.some((p) => p.name === 'audit')) return 0;
      const audit = await openAuditLog(config.audit.store);
      try {
        const verified = await verifyAudit(audit, { retentionSeconds: config.audit.retentionSeconds });
        if (verified.problem) {
          deps.stdout(`The restored audit trail is broken at record ${verified.problem.seq}: ${verified.problem.reason}.\n`);
          return EXIT_FAILURE;
        }
        deps.stdout(`The restored audit trail verifies: ${verified.records} records.\n`);
      } finally {
        await audit.close();
      }
      // The restore itself goes into the restored trail, after everything it holds.
      return withStore(config, async (_store, recordAdmin) => {
        await recordAdmin('restore', { details: { file, made: manifest.createdAt, parts: parts.map((p) => p.name) } });
      });
    }));
}

/** The configured stores that are SQLite files, as backup parts (an audit trail not written yet is left out). */
function sqliteParts(config: Config): BackupSource[] {
  const parts: BackupSource[] = [];
  if (config.store.kind === 'sqlite') {
    if (!fs.existsSync(config.store.file)) {
      throw new InvalidInputError(`There is no state store at ${config.store.file} yet: nothing to back up.`, {
        hint: 'Check --config and --dir: they must name the configuration and directory the server runs with.',
      });
    }
    parts.push({ name: 'state', file: config.store.file });
  }
  if (config.audit.store.kind === 'sqlite' && fs.existsSync(config.audit.store.file)) parts.push({ name: 'audit', file: config.audit.store.file });
  return parts;
}
