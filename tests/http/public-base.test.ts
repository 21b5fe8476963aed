/** The public base and client address behind trusted proxies, and what rate limits count. */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { publicBaseResolver } from '../../src/http/public-base.js';

function resolverFor(auth: Record<string, unknown>) {
  const config = loadConfig({ env: {}, cwd: process.cwd(), configPath: undefined, overrides: {} });
  return publicBaseResolver({ ...config.auth, trustedProxies: [], publicUrl: undefined, ...auth });
}

/** Runs `read` in a Hono handler for a request from `remote` (the socket address) with `headers`. */
async function resolve<T>(read: (c: any) => T, remote: string, headers: Record<string, string> = {}): Promise<T> {
  const app = new Hono();
  let value: T | undefined;
  app.get('/', (c) => {
    value = read(c);
    return c.text('ok');
  });
  await app.request('http://sqlgate.internal:8008/', { headers }, { incoming: { socket: { remoteAddress: remote, remotePort: 1, remoteFamily: remote.includes(':') ? 'IPv6' : 'IPv4' } } });
  return value!;
}

describe('public base', () => {
  it('believes forwarded headers only from trusted proxies, taking the value the proxy added (the last)', async () => {
    const resolver = resolverFor({ trustedProxies: ['10.0.0.0/8'] });
    const headers = { 'x-forwarded-host': 'evil.example, data.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7, 203.0.113.5' };
    expect(await resolve((c) => resolver.base(c), '10.1.2.3', headers)).toBe('https://data.example.com');
    expect(await resolve((c) => resolver.clientAddress(c), '10.1.2.3', headers)).toBe('203.0.113.5');
    expect(await resolve((c) => resolver.base(c), '192.0.2.1', headers)).toBe('http://sqlgate.internal:8008');
    expect(await resolve((c) => resolver.clientAddress(c), '192.0.2.1', headers)).toBe('192.0.2.1');
  });

  it('prefers auth.public_url over anything a request says', async () => {
    const resolver = resolverFor({ publicUrl: 'https://data.example.com', trustedProxies: ['10.0.0.0/8'] });
    expect(await resolve((c) => resolver.base(c), '10.1.2.3', { 'x-forwarded-host': 'evil.example' })).toBe('https://data.example.com');
  });

  it('counts an IPv6 client by its /64 and an IPv4 client by its address', async () => {
    const resolver = resolverFor({});
    expect(await resolve((c) => resolver.rateLimitKey(c), '2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(await resolve((c) => resolver.rateLimitKey(c), '2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(await resolve((c) => resolver.rateLimitKey(c), '2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(await resolve((c) => resolver.rateLimitKey(c), '::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(await resolve((c) => resolver.rateLimitKey(c), '203.0.113.9')).toBe('203.0.113.9');
  });
});
