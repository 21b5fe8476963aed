/**
 * The classifier only: no address here is ever connected to. Ranges are probed at their edges, so an off-by-one
 * prefix fails a test.
 */
import { describe, expect, it } from 'vitest';
import { isLinkLocalAddress, isSpecialUseAddress } from '../../src/util/special-use-address.js';

describe('isSpecialUseAddress', () => {
  const specialUse: [string, string[]][] = [
    ['"this network", the unspecified address', ['0.0.0.0', '0.255.255.255']],
    ['private 10/8', ['10.0.0.0', '10.0.0.1', '10.255.255.255']],
    ['shared address space 100.64/10', ['100.64.0.0', '100.100.100.100', '100.127.255.255']],
    ['loopback 127/8', ['127.0.0.1', '127.0.0.2', '127.255.255.254']],
    ['link-local and cloud metadata', ['169.254.0.1', '169.254.169.254', '169.254.255.255']],
    ['private 172.16/12', ['172.16.0.0', '172.20.1.1', '172.31.255.255']],
    ['IETF protocol assignments', ['192.0.0.1', '192.0.0.255']],
    ['documentation', ['192.0.2.1', '198.51.100.7', '203.0.113.255']],
    ['AS112, AMT, 6to4 relay', ['192.31.196.1', '192.52.193.1', '192.88.99.1', '192.175.48.1']],
    ['private 192.168/16', ['192.168.0.1', '192.168.255.255']],
    ['benchmarking 198.18/15', ['198.18.0.0', '198.19.255.255']],
    ['multicast', ['224.0.0.1', '239.255.255.250']],
    ['reserved and broadcast', ['240.0.0.1', '255.255.255.255']],
    ['IPv6 unspecified and loopback', ['::', '::1', '0:0:0:0:0:0:0:1']],
    ['IPv4-mapped special-use, in both spellings', ['::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:a9fe:a9fe', '::ffff:0.0.0.0']],
    ['IPv4-compatible (deprecated)', ['::127.0.0.1', '::7f00:1', '::93.184.216.34']],
    ['NAT64 carrying a special-use IPv4 address', ['64:ff9b::127.0.0.1', '64:ff9b::a00:1', '64:ff9b::c0a8:101']],
    ['local-use NAT64 and discard', ['64:ff9b:1::1', '100::1']],
    ['unique local fc00::/7', ['fc00::', 'fc00::1', 'fd00::1', 'fd12:3456:789a::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
    ['link-local fe80::/10 and site-local', ['fe80::1', 'febf:ffff::1', 'fec0::1']],
    ['multicast ff00::/8', ['ff02::1', 'ff05::1:3', 'ff0e::1']],
    ['IETF protocol assignments: Teredo, benchmarking, ORCHID', ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:2::1', '2001:20::1', '2001:1ff:ffff::1']],
    ['documentation', ['2001:db8::1', '2001:db8:ffff::1', '3fff::1', '3fff:fff:ffff::1']],
    ['6to4 (carries any IPv4 address)', ['2002:7f00:1::1', '2002:c0a8:101::1']],
    ['AS112 direct delegation', ['2620:4f:8000::1']],
    ['unassigned space outside 2000::/3', ['4000::1', '5f00::1', 'c000::1']],
    ['a zone id (link-local)', ['fe80::1%eth0', '2606:2800:220:1:248:1893:25c8:1946%1']],
    ['not an IP address at all (fail closed)', ['', 'localhost', 'example.com', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '[::1]', '1.2.3.4.5']],
  ];

  for (const [what, addresses] of specialUse) {
    it(`refuses ${what}`, () => {
      for (const address of addresses) expect(isSpecialUseAddress(address), address).toBe(true);
    });
  }

  const globallyReachable: [string, string[]][] = [
    ['public IPv4, including the neighbours of special ranges', [
      '93.184.216.34', '1.1.1.1', '8.8.8.8', '160.79.104.10',
      '1.0.0.0', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0',
      '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.0', '192.0.3.0', '192.167.255.255',
      '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255',
    ]],
    ['public IPv6', ['2606:2800:220:1:248:1893:25c8:1946', '2a00:1450:4001:80b::200e', '2001:4860:4860::8888', '2001:200::1', '2003::1', '2620:4f:8001::1', '3ffe::1']],
    ['IPv4-mapped and NAT64 forms of a public IPv4 address', ['::ffff:93.184.216.34', '::ffff:5db8:d822', '64:ff9b::93.184.216.34', '64:ff9b::5db8:d822']],
  ];

  for (const [what, addresses] of globallyReachable) {
    it(`allows ${what}`, () => {
      for (const address of addresses) expect(isSpecialUseAddress(address), address).toBe(false);
    });
  }
});

describe('isLinkLocalAddress', () => {
  it('finds link-local addresses in every spelling, and nothing else', () => {
    for (const address of ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.169.254', 'febf::1', 'not an address']) {
      expect(isLinkLocalAddress(address), address).toBe(true);
    }
    for (const address of ['127.0.0.1', '10.0.0.1', '192.168.1.1', '::1', 'fd00::1', '93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) {
      expect(isLinkLocalAddress(address), address).toBe(false);
    }
  });
});
