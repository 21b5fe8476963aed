/**
 * `sqlgate keys rotate`: new signing and cookie keys for the authorization server. The previous generation stays
 * for verification, so nothing signed before stops working; servers pick the new keys up when they restart.
 * (Access and refresh tokens are opaque and never depended on these keys.)
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { withConfigOptions, withStore } from './with-store.js';

export interface KeysCommandDeps {
  readonly stdout: (text: string) => void;
  readonly loadConfig: (options: { config?: string; dir?: string }) => Config;
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
}

export function addKeysCommand(program: Command, deps: KeysCommandDeps): void {
  const keys = program.command('keys').description("Manage the authorization server's signing keys (kept in the state store).");
  withConfigOptions(keys.command('rotate'))
    .description('Generate new signing and cookie keys; the previous ones stay valid for verification.')
    .action(deps.guard(async (options: { config?: string; dir?: string }) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        // jose loads when keys are rotated, not each time the command line starts (issue 12).
        const { rotateServerKeys } = await import('../auth/server-keys.js');
        const ids = await rotateServerKeys(store.secrets);
        await recordAdmin('keys rotate', { details: { new_key_ids: ids } });
        deps.stdout(`New signing keys: ${ids.join(', ')}. Restart the sqlgate servers on this store to sign with them; the previous keys still verify.\n`);
      });
    }));
}
