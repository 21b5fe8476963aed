/**
 * sqlgate's own state behind one handle. Today it holds local users; the OAuth slices add clients, grants,
 * authorization codes, token hashes, consents and signing keys as further members and migrations.
 */
import type { UserStore } from './user-store.js';

export interface StateStore {
  readonly users: UserStore;
  /** Where the state lives, for messages (a file path; never a secret). */
  readonly location: string;
  /** Releases the file or connection. Calls after close fail. */
  close(): Promise<void>;
}
