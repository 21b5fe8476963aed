/**
 * What the admin commands share: the --config/--dir options, the state store opened for one command, and the
 * record of what a command changed in the audit trail.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { securityEvent } from '../audit/audit-record.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { openAuditTrail } from '../audit/open-audit-trail.js';
import type { Config } from '../config/schema.js';
import { NotFoundError, SqlgateError, UnavailableError } from '../errors.js';
import { openStateStore, storeLocation } from '../store/open-state-store.js';
import type { StateStore } from '../store/state-store.js';
import type { StoredUser } from '../store/user-store.js';
import { createLogger } from '../telemetry/logger.js';

/** --config and --dir, as `serve` takes them, so that a command finds the same state store and environments. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (default: as for serve)')
    .option('-d, --dir <dir>', 'directory for relative paths (default: the current one)');
}

/** Records an admin command that changed something, after the change (audit trail, kind admin). */
export type RecordAdminAction = (action: string, fields?: { user?: string; environment?: string; details?: Record<string, unknown> }) => Promise<void>;

/**
 * Runs an admin command on the state store. The command records what it changed with `recordAdmin`, which opens
 * the audit trail only then (listing opens none). A change that cannot be recorded is still made, and the command
 * fails saying so: the operator must know the trail misses it.
 */
export async function withStore(config: Config, action: (store: StateStore, recordAdmin: RecordAdminAction) => Promise<void>): Promise<number> {
  const store = await openStateStore(config.store);
  let trail: AuditTrail | undefined;
  const recordAdmin: RecordAdminAction = async (name, fields = {}) => {
    try {
      // The stream (audit.stream) gets admin records too; this command's own stdout is its output, not the stream.
      trail ??= await openAuditTrail(config.audit, createLogger(config.log.level), { stdout: null, isPruning: false });
      await trail.record(securityEvent({ kind: 'admin', action: name, verdict: 'allowed', actor: operatingSystemUser(), ...fields }));
    } catch (err) {
      throw new UnavailableError(`"sqlgate ${name}" was done, but it could not be recorded in the audit trail (${storeLocation(config.audit.store)}).`, {
        hint: err instanceof SqlgateError ? err.publicText : 'Check that the audit trail (audit.url) can be written.',
        cause: err,
      });
    }
  };
  try {
    await action(store, recordAdmin);
    return 0;
  } finally {
    await store.close();
    await trail?.close();
  }
}

/** Who ran the command, as the operating system knows them (a container may have no name for its user). */
export function operatingSystemUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

export async function requireUser(store: StateStore, name: string): Promise<StoredUser> {
  const user = await store.users.get(name);
  if (!user) throw new NotFoundError(`There is no user named "${name.slice(0, 80)}".`, { hint: 'Run "sqlgate users list" to see them.' });
  return user;
}
