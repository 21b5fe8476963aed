/**
 * The authorization server's own keys, generated on first start and kept in the state store so that a restart
 * (or a second instance on the same store) signs and verifies with the same ones: signing keys (JWKs; RS256 for
 * clients that expect the OpenID default, ES256 as the preferred one) and the keys that sign its cookies.
 *
 * Rotation (`sqlgate keys rotate`) puts fresh keys first and keeps the previous ones after them, so that what
 * they signed still verifies until it expires.
 */
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { SecretStore } from '../store/oauth-store.js';

const SIGNING_KEYS = 'oauth.signing_keys';
const COOKIE_KEYS = 'oauth.cookie_keys';
/** How many generations of keys are kept for verification after a rotation. */
const KEPT_GENERATIONS = 2;

export interface ServerKeys {
  readonly signingKeys: JWK[];
  readonly cookieKeys: string[];
}

export async function loadServerKeys(secrets: SecretStore): Promise<ServerKeys> {
  const signing = (await secrets.get(SIGNING_KEYS)) ?? (await secrets.putIfAbsent(SIGNING_KEYS, JSON.stringify(await newSigningKeys())));
  const cookies = (await secrets.get(COOKIE_KEYS)) ?? (await secrets.putIfAbsent(COOKIE_KEYS, JSON.stringify([newCookieKey()])));
  return { signingKeys: JSON.parse(signing) as JWK[], cookieKeys: JSON.parse(cookies) as string[] };
}

/** Puts new signing and cookie keys first; the previous generation stays for verification. Returns the new key ids. */
export async function rotateServerKeys(secrets: SecretStore): Promise<string[]> {
  const current = await loadServerKeys(secrets);
  const fresh = await newSigningKeys();
  const perGeneration = fresh.length;
  await secrets.set(SIGNING_KEYS, JSON.stringify([...fresh, ...current.signingKeys].slice(0, perGeneration * KEPT_GENERATIONS)));
  await secrets.set(COOKIE_KEYS, JSON.stringify([newCookieKey(), ...current.cookieKeys].slice(0, KEPT_GENERATIONS)));
  return fresh.map((k) => k.kid!);
}

async function newSigningKeys(): Promise<JWK[]> {
  // jose loads only to make keys (first start on a store, `sqlgate keys rotate`): a start that finds them in the
  // store does without it (issue 12).
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
  return Promise.all(
    (['ES256', 'RS256'] as const).map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
      const jwk = await exportJWK(privateKey);
      return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
    }),
  );
}

function newCookieKey(): string {
  return randomBytes(32).toString('base64url');
}
