/**
 * oidc-provider (with Koa) loads on the first request that needs the authorization server, not at start: importing
 * it costs ~46 MB resident and start-up time, and a server whose clients call with bearer tokens (personal access
 * tokens, or OAuth tokens issued earlier) never needs it (issue 12). Elsewhere only `import type` from it is allowed.
 */
import type * as OidcProviderModule from 'oidc-provider';

export type OidcProvider = typeof OidcProviderModule;
/** oidc-provider's error classes (InvalidGrant, InvalidTarget …), taken from the loaded module. */
export type OidcErrors = OidcProvider['errors'];

let loading: Promise<OidcProvider> | undefined;

/** The module, imported once: every caller, concurrent ones included, gets the same promise. */
export function loadOidcProvider(): Promise<OidcProvider> {
  loading ??= import('oidc-provider');
  return loading;
}
