/**
 * `sqlgate grants list|revoke`: the authorizations users gave to OAuth clients (remembered consent). Revoking one
 * ends its refresh and access tokens at once and makes the client ask for consent again.
 */
import type { Command } from 'commander';
import { hashSecret } from '../auth/hash-secret.js';
import type { Config } from '../config/schema.js';
import { NotFoundError } from '../errors.js';
import type { OAuthRecord } from '../store/oauth-store.js';
import type { StateStore } from '../store/state-store.js';
import { withConfigOptions, withStore } from './with-store.js';

export interface GrantsCommandDeps {
  readonly stdout: (text: string) => void;
  readonly loadConfig: (options: ConfigOptions) => Config;
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
}

interface ConfigOptions {
  config?: string;
  dir?: string;
}

interface GrantSummary {
  id: string;
  user: string;
  client: string;
  clientName?: string;
  resources: Record<string, string>;
  created: string;
}

export function addGrantsCommand(program: Command, deps: GrantsCommandDeps): void {
  const grants = program.command('grants').description('List and revoke what users allowed OAuth clients to do (remembered consent).');
  const withConfig = withConfigOptions;

  withConfig(grants.command('list'))
    .description('List the grants: user, client, environments and scopes.')
    .option('--user <name>', 'only this user\'s grants')
    .option('--json', 'print them as JSON')
    .action(deps.guard(async (options: ConfigOptions & { user?: string; json?: boolean }) => {
      return withStore(deps.loadConfig(options), async (store) => {
        const records = await store.oauth.list('Grant', options.user ? { accountId: options.user } : undefined);
        const summaries = await Promise.all(records.map((r) => summarize(store, r)));
        if (options.json) deps.stdout(`${JSON.stringify({ grants: summaries }, null, 2)}\n`);
        else deps.stdout(summaries.length === 0 ? 'No grants.\n' : summaries.map(toLine).join(''));
      });
    }));

  withConfig(grants.command('revoke').argument('<id>', 'grant id (from "sqlgate grants list")'))
    .description('Revoke a grant: its tokens stop working at once and the client must ask for consent again.')
    // Grant ids are random base64url and one in 64 starts with "-": taken as the id, not refused as an unknown option.
    .allowUnknownOption()
    .action(deps.guard(async (id: string, options: ConfigOptions) => {
      return withStore(deps.loadConfig(options), async (store, recordAdmin) => {
        if (!(await store.oauth.find('Grant', hashSecret(id)))) {
          throw new NotFoundError(`There is no grant "${id.slice(0, 80)}".`, { hint: 'Run "sqlgate grants list" to see them.' });
        }
        const removed = await store.oauth.revokeByGrantId(id);
        await recordAdmin('grants revoke', { details: { grant_id: id, removed_records: removed } });
        deps.stdout(`Revoked grant ${id} (${removed} record(s): the grant and its tokens).\n`);
      });
    }));
}

async function summarize(store: StateStore, record: OAuthRecord): Promise<GrantSummary> {
  const payload = record.payload as { clientId?: string; accountId?: string; resources?: Record<string, string>; iat?: number };
  const client = payload.clientId ? await store.oauth.find('Client', hashSecret(payload.clientId)) : undefined;
  return {
    id: record.grantId ?? '',
    user: payload.accountId ?? record.accountId ?? '',
    client: payload.clientId ?? '',
    clientName: client?.payload.client_name as string | undefined,
    resources: payload.resources ?? {},
    created: payload.iat ? new Date(payload.iat * 1000).toISOString() : '',
  };
}

function toLine(grant: GrantSummary): string {
  const resources = Object.entries(grant.resources).map(([resource, scope]) => `${resource} (${scope})`).join(', ') || 'no environment';
  return `${grant.id}  ${grant.user}  ${grant.clientName ? `${grant.clientName} [${grant.client}]` : grant.client}  ${resources}  since ${grant.created.slice(0, 16)}Z\n`;
}
