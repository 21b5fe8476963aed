/**
 * Vetting a host before the authorization server connects to it. Nothing here connects anywhere: names are
 * resolved by a resolver passed in, and IP literals must not be resolved at all.
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { pinnedLookup, vetOutboundHost, type Resolver } from '../../src/auth/outbound-address.js';
import { ForbiddenError } from '../../src/errors.js';
import { isSpecialUseAddress } from '../../src/util/special-use-address.js';

const isPublic = (address: string) => !isSpecialUseAddress(address);
const noResolving: Resolver = () => {
  throw new Error('an IP literal must not be resolved');
};
/** A resolver that answers every name with `addresses` and records the names it was asked. */
function resolverOf(...addresses: string[]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

describe('vetOutboundHost', () => {
  // Every spelling the WHATWG URL parser accepts for a special-use address; it canonicalises the IPv4 ones.
  const specialUseUrls = [
    'https://127.0.0.1/', 'https://127.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://0177.0.0.1/',
    'https://0x7f.1/', 'https://127.0.0.1./', 'https://127.000.000.001/', 'https://0x7F.0.0.1/', 'https://127.0.1/',
    'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::1]/', 'https://[0:0:0:0:0:0:0:1]/', 'https://[::]/',
    'https://0.0.0.0/', 'https://0/', 'https://0x0/',
    'https://169.254.169.254/', 'https://0xa9fea9fe/', 'https://2852039166/', 'https://[::ffff:169.254.169.254]/', 'https://[fd00:ec2::254]/',
    'https://10.0.0.1/', 'https://012.0.0.1/', 'https://10.255.255.255/', 'https://167772161/',
    'https://172.16.0.1/', 'https://172.31.255.255/', 'https://192.168.1.1/', 'https://0xc0a80101/', 'https://100.64.0.1/', 'https://100.127.255.255/',
    'https://[fc00::1]/', 'https://[fd00::1]/', 'https://[fe80::1]/', 'https://[fec0::1]/',
    'https://224.0.0.1/', 'https://239.255.255.250/', 'https://[ff02::1]/', 'https://255.255.255.255/', 'https://240.0.0.1/',
    'https://192.0.2.1/', 'https://198.51.100.1/', 'https://203.0.113.1/', 'https://[2001:db8::1]/', 'https://198.18.0.1/',
    'https://[64:ff9b::127.0.0.1]/', 'https://[2002:7f00:1::]/', 'https://[::127.0.0.1]/',
  ];

  for (const url of specialUseUrls) {
    it(`refuses ${url} without resolving it`, async () => {
      await expect(vetOutboundHost(new URL(url), { isAllowedAddress: isPublic, resolve: noResolving })).rejects.toBeInstanceOf(ForbiddenError);
    });
  }

  it('allows public IP literals as they are, without resolving them', async () => {
    await expect(vetOutboundHost(new URL('https://93.184.216.34/client.json'), { isAllowedAddress: isPublic, resolve: noResolving }))
      .resolves.toEqual({ address: '93.184.216.34', family: 4 });
    await expect(vetOutboundHost(new URL('https://[2606:2800:220:1:248:1893:25c8:1946]:8443/'), { isAllowedAddress: isPublic, resolve: noResolving }))
      .resolves.toEqual({ address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 });
  });

  it('resolves a name once and returns its first address when every address is public', async () => {
    const resolve = resolverOf('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946');
    await expect(vetOutboundHost(new URL('https://Claude.AI/oauth/client'), { isAllowedAddress: isPublic, resolve }))
      .resolves.toEqual({ address: '93.184.216.34', family: 4 });
    expect(resolve.asked).toEqual(['claude.ai']);
  });

  for (const addresses of [['10.0.0.1'], ['127.0.0.1'], ['93.184.216.34', '10.0.0.1'], ['169.254.169.254', '93.184.216.34'], ['2606:2800:220:1:248:1893:25c8:1946', 'fd00::1'], ['::ffff:192.168.0.1']]) {
    it(`refuses a name that resolves to ${addresses.join(' and ')} (any special-use address is enough)`, async () => {
      await expect(vetOutboundHost(new URL('https://metadata.example/'), { isAllowedAddress: isPublic, resolve: resolverOf(...addresses) }))
        .rejects.toBeInstanceOf(ForbiddenError);
    });
  }

  it('refuses a name that resolves to no address', async () => {
    await expect(vetOutboundHost(new URL('https://metadata.example/'), { isAllowedAddress: isPublic, resolve: resolverOf() }))
      .rejects.toBeInstanceOf(ForbiddenError);
  });

  it('allows special-use addresses when the caller does (allow_private_metadata_fetch)', async () => {
    await expect(vetOutboundHost(new URL('https://127.1:8443/'), { isAllowedAddress: () => true, resolve: noResolving }))
      .resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('stops waiting for a resolver that does not answer when the signal fires', async () => {
    const hanging: Resolver = () => new Promise(() => {});
    const started = Date.now();
    await expect(vetOutboundHost(new URL('https://metadata.example/'), { isAllowedAddress: isPublic, resolve: hanging, signal: AbortSignal.timeout(50) }))
      .rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('pinnedLookup', () => {
  it('answers every name with the vetted address, in both forms net asks for', async () => {
    const lookup = pinnedLookup({ address: '93.184.216.34', family: 4 });
    const one = await new Promise((resolve) => lookup('elsewhere.example', {}, (err, address, family) => resolve({ err, address, family })));
    expect(one).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    const all = await new Promise((resolve) => lookup('elsewhere.example', { all: true }, (err, address) => resolve({ err, address })));
    expect(all).toEqual({ err: null, address: [{ address: '93.184.216.34', family: 4 }] });
  });
});
