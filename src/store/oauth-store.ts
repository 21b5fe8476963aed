/**
 * The authorization server's state: one record per oidc-provider object (client, grant, authorization code,
 * access and refresh token, session, interaction), plus the server's own secrets (signing keys, cookie keys).
 *
 * The store is deliberately dumb: `key` is whatever the caller gives (auth/ passes a SHA-256 of the object's id,
 * so the store never sees a usable token) and `payload` is opaque JSON. What it owns is lookup by the indexed
 * columns, expiry, and removing everything of a grant, user or client at once.
 */
export interface OAuthRecord {
  readonly model: string;
  readonly key: string;
  readonly payload: Record<string, unknown>;
  readonly grantId?: string;
  readonly uid?: string;
  readonly userCode?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  /** Epoch seconds; undefined never expires (clients). */
  readonly expiresAt?: number;
  /** Epoch seconds when it was consumed (single-use codes, rotated refresh tokens). */
  readonly consumedAt?: number;
}

/**
 * Contract for every backend: `find*` never return an expired record; `upsert` replaces a record with the same
 * (model, key); every call is durable once its promise resolves.
 */
export interface OAuthRecordStore {
  upsert(record: OAuthRecord): Promise<void>;
  find(model: string, key: string): Promise<OAuthRecord | undefined>;
  findByUid(model: string, uid: string): Promise<OAuthRecord | undefined>;
  findByUserCode(model: string, userCode: string): Promise<OAuthRecord | undefined>;
  /**
   * Marks a single-use record (an authorization code, a rotated refresh token) consumed now, if it is not yet, in
   * one atomic step: true when this call consumed it, false when it was consumed already or is gone. Of several
   * requests that race with one code or refresh token, on one instance or on several, exactly one gets true.
   */
  consume(model: string, key: string): Promise<boolean>;
  destroy(model: string, key: string): Promise<void>;
  /** Removes every record of the grant (its tokens and codes, and the grant itself). */
  revokeByGrantId(grantId: string): Promise<number>;
  /** Removes every record issued to the user (all grants, tokens and sessions). Returns how many. */
  revokeByAccount(accountId: string): Promise<number>;
  /** Marks a client as used now (a client in use is never garbage-collected). */
  touchClient(clientKey: string): Promise<void>;
  /**
   * Garbage collection: removes expired records, and dynamically registered clients unused since `unusedSince`
   * (epoch seconds) that no live record refers to. Returns how many records were removed.
   */
  collectGarbage(now: number, unusedSince: number): Promise<number>;
  /** Records of a model, for listings (`sqlgate sessions list`) and tests. */
  list(model: string, filter?: { accountId?: string; clientId?: string }): Promise<OAuthRecord[]>;
}

/** Named server secrets (JSON text), written once and read at start. */
export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  /** Stores `value` under `name` unless one exists; returns the stored value (so two starting processes agree). */
  putIfAbsent(name: string, value: string): Promise<string>;
  set(name: string, value: string): Promise<void>;
}
