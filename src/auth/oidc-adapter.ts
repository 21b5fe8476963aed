/**
 * oidc-provider's storage adapter over the state store: every model (Client, Grant, AuthorizationCode,
 * AccessToken, RefreshToken, Session, Interaction …) becomes an OAuthRecord.
 *
 * What never reaches the store in the clear: the id of a record (for tokens and codes the id IS the bearer value,
 * so the key is its SHA-256 and the payload's copy in `jti` is dropped and restored on read), and a client's
 * secret (stored as `sha256:<hex>`; authorization-server.ts makes the Client model compare against that).
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OAuthRecordStore } from '../store/oauth-store.js';
import { hashSecret } from './hash-secret.js';
import { loadOidcProvider } from './oidc-provider-module.js';

export const HASHED_SECRET_PREFIX = 'sha256:';

/** A Client is marked used at most this often (a write per token request would be wasteful). */
const CLIENT_TOUCH_INTERVAL_MS = 10 * 60 * 1000;

export function createStoreAdapter(store: OAuthRecordStore): new (model: string) => Adapter {
  const lastTouched = new Map<string, number>();

  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const stored: Record<string, unknown> = { ...payload };
      if (stored.jti === id) {
        delete stored.jti;
        stored.__jti = true;
      }
      // An Interaction carries its browser session's cookie value, which oidc-provider never reads back from it:
      // with the cookie keys in the same store, keeping it would let a copy of the store sign in as that user.
      if (this.model === 'Interaction' && stored.session && typeof stored.session === 'object') {
        const { cookie: _cookie, ...session } = stored.session as Record<string, unknown>;
        stored.session = session;
      }
      if (this.model === 'Client' && typeof stored.client_secret === 'string' && !stored.client_secret.startsWith(HASHED_SECRET_PREFIX)) {
        stored.client_secret = HASHED_SECRET_PREFIX + hashSecret(stored.client_secret);
      }
      await store.upsert({
        model: this.model,
        key: hashSecret(id),
        payload: stored,
        grantId: this.model === 'Grant' ? id : payload.grantId,
        uid: payload.uid,
        userCode: payload.userCode,
        accountId: payload.accountId,
        clientId: this.model === 'Client' ? (payload.client_id as string | undefined) : payload.clientId,
        expiresAt: expiresIn ? Math.floor(Date.now() / 1000) + expiresIn : undefined,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = hashSecret(id);
      const record = await store.find(this.model, key);
      if (record && this.model === 'Client') await this.touch(key);
      return record && restore(record.payload, id, record.consumedAt);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const record = await store.findByUserCode(this.model, userCode);
      return record && restoreWithoutId(record.payload, record.consumedAt);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const record = await store.findByUid(this.model, uid);
      return record && restoreWithoutId(record.payload, record.consumedAt);
    }

    /**
     * oidc-provider reads a code or refresh token, refuses it if it is consumed, and only later consumes it: two
     * requests with the same one (a replay racing the client, on one instance or two behind a load balancer) could
     * both pass that check. The store consumes atomically, so the one that finds it consumed here is the replay:
     * answered as oidc-provider answers one it caught itself, with invalid_grant and the whole grant revoked
     * (RFC 6749 §4.1.2 for codes, RFC 9700 §4.14.2 for rotated refresh tokens). The grant's tokens issued to the
     * other request go with it, as the bearer check and the refresh grant both need the grant.
     */
    async consume(id: string): Promise<void> {
      const key = hashSecret(id);
      if (await store.consume(this.model, key)) return;
      const record = await store.find(this.model, key);
      if (record?.grantId) await store.revokeByGrantId(record.grantId);
      const label = this.model.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase(); // AuthorizationCode → authorization code
      // The error class must be the provider's own (it answers it as invalid_grant): the module, loaded already
      // by the provider that called this, comes from the one loader (oidc-provider-module.ts), never a static import.
      const { errors } = await loadOidcProvider();
      throw new errors.InvalidGrant(`${label} already used, by a request racing this one`);
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, hashSecret(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(grantId);
    }

    private async touch(key: string): Promise<void> {
      const now = Date.now();
      if ((lastTouched.get(key) ?? 0) > now - CLIENT_TOUCH_INTERVAL_MS) return;
      lastTouched.set(key, now);
      if (lastTouched.size > 10_000) lastTouched.clear();
      await store.touchClient(key);
    }
  };
}

function restore(payload: Record<string, unknown>, id: string, consumedAt: number | undefined): AdapterPayload {
  const { __jti, ...rest } = payload;
  return { ...rest, ...(__jti ? { jti: id } : {}), ...(consumedAt ? { consumed: consumedAt } : {}) } as AdapterPayload;
}

/**
 * Lookups by uid or user code cannot restore `jti` (the id is not known): only Session is found by uid, and a
 * Session's jti is its cookie value — oidc-provider reads it from the cookie, never from a uid lookup.
 */
function restoreWithoutId(payload: Record<string, unknown>, consumedAt: number | undefined): AdapterPayload {
  const { __jti: _, ...rest } = payload;
  return { ...rest, ...(consumedAt ? { consumed: consumedAt } : {}) } as AdapterPayload;
}
