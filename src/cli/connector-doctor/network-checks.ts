/**
 * The connector doctor's first two checks, below HTTP. DNS: Claude.ai connects from Anthropic's servers over IPv4,
 * so the host needs an A record, and only with public addresses (a private, loopback or carrier-grade NAT address
 * is unreachable from there). HTTPS: a certificate that a public CA issued for the host and that does not expire
 * soon. Each failure names the record or the certificate to fix.
 */
import { BlockList, isIP } from 'node:net';
import type { ConnectorContext } from './connector-context.js';
import type { TlsProbe } from './network-probes.js';
import { fail, pass, skipped, warn, type Finding } from './report.js';

/** Below this many days left, a certificate gets a warning (ACME clients renew 30 days ahead). */
const CERTIFICATE_WARNING_DAYS = 14;

/** What kind of address it is, as seen from the internet (see `classifyAddress`). */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link-local' | 'shared' | 'reserved';

const RANGES: readonly [AddressKind, 'ipv4' | 'ipv6', string, number][] = [
  ['reserved', 'ipv4', '0.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['shared', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['reserved', 'ipv4', '192.0.2.0', 24],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['reserved', 'ipv4', '198.51.100.0', 24],
  ['reserved', 'ipv4', '203.0.113.0', 24],
  ['reserved', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['reserved', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['reserved', 'ipv6', '2001:db8::', 32],
  ['reserved', 'ipv6', 'ff00::', 8],
];

const BLOCKS = new Map<AddressKind, BlockList>();
for (const [kind, family, network, prefix] of RANGES) {
  let list = BLOCKS.get(kind);
  if (!list) BLOCKS.set(kind, (list = new BlockList()));
  list.addSubnet(network, prefix, family);
}

/** What kind of address this is, as seen from the internet: only `public` ones are reachable from Anthropic's servers. */
export function classifyAddress(address: string): AddressKind {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return classifyAddress(mapped[1]!);
  const family = isIP(bare);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  for (const [kind, list] of BLOCKS) if (list.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return kind;
  return 'public';
}

const KIND_TEXT: Record<Exclude<AddressKind, 'public'>, string> = {
  private: 'private',
  loopback: 'loopback',
  'link-local': 'link-local',
  shared: 'carrier-grade NAT',
  reserved: 'reserved',
};

const UNREACHABLE = "Claude.ai connects from Anthropic's servers, which cannot reach 10.x, 172.16-31.x, 192.168.x, 100.64.x, loopback or link-local addresses";

export async function checkDns(ctx: ConnectorContext): Promise<Finding> {
  const check = 'DNS';
  const host = ctx.url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  if (ctx.allowHttp && (literal !== 0 || host === 'localhost')) {
    return skipped(check, `${host} is ${literal ? 'an IP address' : 'localhost'} (--insecure-allow-http); Claude.ai needs a public host name`);
  }
  const fixAddress = `point ${host} at the public IPv4 address of the server or reverse proxy in front of sqlgate (an A record)`;
  if (host === 'localhost') return fail(check, `localhost is this machine only. ${UNREACHABLE}.`, `use a public host name, and ${fixAddress}`);
  if (literal === 6) return fail(check, `${host} is an IPv6 address; Claude.ai needs IPv4.`, 'use a host name with an A record (IPv4)');
  if (literal === 4) {
    const kind = classifyAddress(host);
    return kind === 'public'
      ? warn(check, `${host} is a public IPv4 address, not a host name`, 'certificates for bare IP addresses are rare: use a host name with an A record')
      : fail(check, `${host} is a ${KIND_TEXT[kind]} address. ${UNREACHABLE}.`, `use a public host name, and ${fixAddress}`);
  }

  let v4: string[];
  try {
    v4 = await ctx.probes.resolve4(host);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND') return fail(check, `${host} does not exist in DNS (NXDOMAIN).`, `create it: add an A record for ${host} pointing at the server's public IPv4 address`);
    if (code !== 'ENODATA') return fail(check, `could not resolve ${host}: ${code ?? (err as Error).message}.`, 'check the DNS zone and that this machine can reach a DNS server, then run the doctor again');
    v4 = [];
  }
  if (v4.length === 0) {
    const v6 = await ctx.probes.resolve6(host).catch(() => [] as string[]);
    const only6 = v6.length > 0 ? ` (it has only AAAA records: ${v6.join(', ')}; Claude.ai's servers connect over IPv4)` : '';
    return fail(check, `${host} has no A record${only6}.`, `add an A record for ${host} pointing at the server's public IPv4 address`);
  }
  const kinds = v4.map((address) => ({ address, kind: classifyAddress(address) }));
  const unreachable = kinds.filter((k) => k.kind !== 'public');
  const listed = kinds.map((k) => (k.kind === 'public' ? k.address : `${k.address} (${KIND_TEXT[k.kind as Exclude<AddressKind, 'public'>]})`)).join(', ');
  if (unreachable.length === kinds.length) return fail(check, `${host} resolves only to ${listed}. ${UNREACHABLE}.`, fixAddress);
  if (unreachable.length > 0) {
    return warn(check, `${host} resolves to ${listed}: some addresses are not reachable from the internet, so some connections will fail`, `remove the A records for ${unreachable.map((k) => k.address).join(', ')}`);
  }
  return pass(check, `${host} resolves to ${listed} (public IPv4)`);
}

export async function checkHttps(ctx: ConnectorContext): Promise<Finding> {
  const check = 'HTTPS';
  const fixTls = 'serve sqlgate behind a reverse proxy that terminates TLS with a certificate from a public CA (e.g. Let\'s Encrypt), and use https://… as --public-url and auth.public_url';
  if (ctx.url.protocol === 'http:') {
    return ctx.allowHttp
      ? warn(check, 'plain HTTP: Claude.ai requires HTTPS (accepted here because of --insecure-allow-http)', fixTls)
      : fail(check, 'plain HTTP: Claude.ai requires HTTPS.', fixTls);
  }
  const host = ctx.url.hostname.replace(/^\[|\]$/g, '');
  const port = ctx.url.port ? Number(ctx.url.port) : 443;
  let probe: TlsProbe;
  try {
    probe = await ctx.probes.probeTls(host, port, ctx.timeoutMs);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return fail(check, `nothing answered TLS on ${host}:${port} (${code}).`, `open port ${port} to the internet and have it served by the TLS proxy in front of sqlgate`);
  }
  if (!probe.authorized) {
    const [problem, fix] = tlsProblem(probe, host);
    return fail(check, `the certificate on ${host}:${port} is not accepted: ${problem}.`, fix);
  }
  const until = probe.validTo ? ` until ${probe.validTo.toISOString().slice(0, 10)}` : '';
  const issuer = probe.issuer ? `, issued by ${probe.issuer}` : '';
  if (probe.validTo) {
    const days = Math.floor((probe.validTo.getTime() - ctx.probes.now().getTime()) / 86_400_000);
    if (days < CERTIFICATE_WARNING_DAYS) {
      return warn(check, `the certificate for ${host} expires in ${days} day${days === 1 ? '' : 's'} (${probe.validTo.toISOString().slice(0, 10)})`, 'renew it now, and check that automatic renewal works (e.g. certbot renew --dry-run)');
    }
  }
  return pass(check, `certificate valid for ${host}${until}${issuer}`);
}

function tlsProblem(probe: TlsProbe, host: string): [string, string] {
  const names = probe.names ? ` (it is for ${probe.names})` : '';
  switch (probe.error) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return [`it is not valid for ${host}${names}`, `get a certificate that names ${host}, or check that the proxy serves it for this host name (SNI)`];
    case 'CERT_HAS_EXPIRED':
      return ['it has expired', 'renew it, and check that automatic renewal works'];
    case 'CERT_NOT_YET_VALID':
      return ['it is not valid yet', 'check the server\'s clock and the certificate\'s dates'];
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return ['it is self-signed', 'use a certificate from a public CA (e.g. Let\'s Encrypt): Claude.ai trusts no private CA'];
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return ['the chain is incomplete or from an unknown CA', 'serve the full chain (fullchain.pem, not cert.pem) from a public CA'];
    default:
      return [probe.error ?? 'it could not be verified', 'use a certificate from a public CA that names this host, and serve its full chain'];
  }
}
