/**
 * Classifies IP addresses: is this a globally reachable unicast address, or one of the special-use ranges
 * (loopback, private, link-local, shared, multicast, documentation, reserved …) that a server must not be talked
 * into connecting to on someone else's behalf? Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and its updates), plus multicast and the reserved blocks.
 */
import { BlockList, isIP } from 'node:net';

/** IPv4 blocks that are not globally reachable unicast. */
const IPV4_SPECIAL_USE: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"; connecting to 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, with the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.31.196.0', 24], // AS112-v4
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['192.175.48.0', 24], // AS112 direct delegation
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, with the limited broadcast address 255.255.255.255
];

/**
 * IPv6 blocks that are not globally reachable unicast. Everything outside 2000::/3 (global unicast) is refused
 * wholesale: loopback, unspecified, IPv4-compatible, discard, ULA fc00::/7 (so fd00::/8), link-local fe80::/10,
 * site-local, multicast ff00::/8 and unassigned space. Two translation prefixes are judged by the IPv4 address
 * they carry instead (see embeddedIpv4).
 */
const IPV6_SPECIAL_USE: readonly (readonly [string, number])[] = [
  ['::', 3], // 0000::/3: ::, ::1, ::/96, 64:ff9b:1::/48 (local-use NAT64), 100::/64 (discard) …
  ['4000::', 2], // 4000::/2 and 8000::/1: not global unicast (5f00::/16 SRv6, fc00::/7, fe80::/10, ff00::/8 …)
  ['8000::', 1],
  ['2001::', 23], // IETF protocol assignments: Teredo 2001::/32 (carries an IPv4 address), benchmarking, ORCHID
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (carries an IPv4 address, which may be private)
  ['2620:4f:8000::', 48], // AS112 direct delegation
  ['3fff::', 20], // documentation (RFC 9637)
];

function blockListOf(blocks: readonly (readonly [string, number])[], family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of blocks) list.addSubnet(network, prefix, family);
  return list;
}

const IPV4_BLOCKS = blockListOf(IPV4_SPECIAL_USE, 'ipv4');
const IPV6_BLOCKS = blockListOf(IPV6_SPECIAL_USE, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (as `net.isIP` accepts it, without a zone id). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, dotted.index) + '0'; // a placeholder group, dropped below
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  if (dotted) (rest === undefined ? left : right).pop();
  const zeros = new Array<number>(8 - left.length - right.length - tail.length).fill(0);
  return [...left, ...zeros, ...right, ...tail];
}

/**
 * The IPv4 address inside an IPv4-mapped address (::ffff:0:0/96, which a dual-stack socket connects to over
 * IPv4) or inside the NAT64 well-known prefix (64:ff9b::/96, RFC 6052, which a NAT64 gateway forwards to that
 * IPv4 address); undefined for any other IPv6 address.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const prefix = groups.slice(0, 6).join(':');
  if (prefix !== '0:0:0:0:0:65535' && prefix !== '100:65435:0:0:0:0') return undefined;
  const [high, low] = [groups[6]!, groups[7]!];
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * Whether `address` is anything other than a globally reachable unicast address. `address` is an IP address as
 * `dns.lookup` returns it or as the WHATWG URL parser writes a host (IPv6 without the brackets). Anything that
 * is not an IP address, and any IPv6 address with a zone id (link-local by definition), counts as special-use:
 * a caller that asks about a name has a bug, and failing closed keeps it from becoming a hole.
 */
export function isSpecialUseAddress(address: string): boolean {
  return isInBlocks(address, IPV4_BLOCKS, IPV6_BLOCKS);
}

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Whether `address` is link-local (169.254.0.0/16, fe80::/10, or an IPv6 address with a zone id), including an
 * IPv4 link-local address written inside IPv6. Cloud instance metadata answers there. Anything that is not an IP
 * address counts as link-local: fail closed, as isSpecialUseAddress does.
 */
export function isLinkLocalAddress(address: string): boolean {
  return isInBlocks(address, LINK_LOCAL, LINK_LOCAL);
}

/**
 * Whether `address` falls in the blocks; an IPv4 address written inside IPv6 is judged as the IPv4 address, an IPv6
 * address with a zone id is link-local, and anything that is not an IP address is in (fail closed).
 */
function isInBlocks(address: string, ipv4: BlockList, ipv6: BlockList): boolean {
  switch (isIP(address)) {
    case 4:
      return ipv4.check(address, 'ipv4');
    case 6: {
      if (address.includes('%')) return true;
      const embedded = embeddedIpv4(address);
      return embedded === undefined ? ipv6.check(address, 'ipv6') : ipv4.check(embedded, 'ipv4');
    }
    default:
      return true;
  }
}
