/**
 * Who is calling: attached to every MCP request on an authenticated server, and written to the audit log with
 * each tool call. Built by auth/ from an access token; tools and the audit only read it.
 */
export interface Identity {
  /** The user's name (local user, or the subject an external identity provider vouched for). */
  readonly user: string;
  /** The OAuth client acting for the user (e.g. Claude's client id), when there is one. */
  readonly clientId?: string;
  /** How the caller proved who they are. */
  readonly via: 'oauth' | 'personal-token' | 'external-jwt' | 'none';
  /** The environment the credential is bound to. */
  readonly environment: string;
  /** May run statements that write: the token has sql:write, the user may write there, and the environment is writable. */
  readonly canWrite: boolean;
  readonly scopes: readonly string[];
  /** The named roles (config `roles`) that give the user this environment: their limits apply too. Absent: none. */
  readonly roles?: readonly string[];
}

/** The identity of a request on a server without authentication (loopback, `auth.mode: none`, stdio). */
export function anonymousIdentity(environment: string, canWrite: boolean): Identity {
  return { user: 'anonymous', via: 'none', environment, canWrite, scopes: [] };
}
