/**
 * Personal access tokens: long-lived bearer tokens for scripts and for clients configured with a header (Claude
 * Code, curl). Only the SHA-256 of a token is stored; the token itself is shown once, when it is created.
 */
export interface StoredPersonalToken {
  /** Public identifier (shown in listings, used to revoke); not the token. */
  readonly id: string;
  readonly userName: string;
  readonly environment: string;
  readonly canWrite: boolean;
  readonly description?: string;
  readonly createdAt: Date;
  readonly expiresAt?: Date;
  readonly lastUsedAt?: Date;
  readonly revokedAt?: Date;
}

export interface NewPersonalToken {
  readonly id: string;
  readonly tokenHash: string;
  readonly userName: string;
  readonly environment: string;
  readonly canWrite: boolean;
  readonly description?: string;
  readonly expiresAt?: Date;
}

/**
 * Contract for every backend: `add` throws NotFoundError for an unknown user; `findByHash` returns revoked and
 * expired tokens too (the caller says why it refuses); `revoke` throws NotFoundError for an unknown id; tokens go
 * when their user is removed.
 */
export interface PersonalTokenStore {
  add(token: NewPersonalToken): Promise<StoredPersonalToken>;
  findByHash(tokenHash: string): Promise<StoredPersonalToken | undefined>;
  list(userName?: string): Promise<StoredPersonalToken[]>;
  revoke(id: string): Promise<void>;
  /** Records a use; callers may throttle it. */
  touch(id: string, at: Date): Promise<void>;
}
