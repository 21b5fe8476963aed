/**
 * sqlgate's own state behind one handle: local users, personal access tokens, the authorization server's
 * records (clients, grants, codes, token hashes, sessions) and its secrets (signing keys).
 */
import type { OAuthRecordStore, SecretStore } from './oauth-store.js';
import type { PersonalTokenStore } from './personal-token-store.js';
import type { UserStore } from './user-store.js';

export interface StateStore {
  readonly users: UserStore;
  readonly personalTokens: PersonalTokenStore;
  readonly oauth: OAuthRecordStore;
  readonly secrets: SecretStore;
  /** Where the state lives, for messages (a file path, or a URL with its password masked; never a secret). */
  readonly location: string;
  /**
   * A value that differs whenever anything in the store may have changed since it was last read, by this process or
   * any other, read in microseconds: readers keep what they read while it stays the same (store-read-memo.ts).
   * Absent where there is no such value (PostgreSQL, shared by several instances): every read goes to the store.
   */
  readonly version?: () => string;
  /** Resolves once the store answered a trivial read (readiness); rejects with UnavailableError when it cannot. Writes nothing. */
  ping(): Promise<void>;
  /** Releases the file or connection. Calls after close fail. */
  close(): Promise<void>;
}
