import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * IPv4-compatible IPv6 (`::a.b.c.d`, deprecated by RFC 4291): ipaddr.js calls it unicast, yet a host may reach the
 * IPv4 address inside (`[::7f00:1]` is 127.0.0.1), so the whole range is refused.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Whether an address is public unicast: not loopback, private, link-local (cloud metadata), reserved or the like.
 * IPv6 forms of IPv4 addresses are refused (IPv4-compatible, NAT64, SIIT) or judged by their IPv4 address (mapped).
 */
export function isPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed instanceof ipaddr.IPv6) {
    if (parsed.match(IPV4_COMPATIBLE)) return false;
    if (parsed.isIPv4MappedAddress()) parsed = parsed.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/**
 * What the URL itself says against it, without DNS: its scheme, credentials, an IP literal that is not public
 * (Node connects to literals without a lookup). Checked at subscription and before every delivery.
 */
export function urlProblem(url: string, allowPrivate: boolean): string | undefined {
  if (!URL.canParse(url)) return 'url must be an absolute URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
    return parsed.protocol === 'http:'
      ? 'url must be https (WEBHOOK_ALLOW_PRIVATE_URLS=true allows http, for tests and private networks)'
      : 'url must be https';
  }
  if (parsed.username || parsed.password) return 'url must not carry credentials';
  const host = hostOf(parsed);
  if (!allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host)) return notPublic(host);
  return undefined;
}

/** Why webhooks may not go to this URL, or undefined. With `allowPrivate`, http and every address are allowed. */
export async function webhookUrlProblem(url: string, allowPrivate: boolean): Promise<string | undefined> {
  const problem = urlProblem(url, allowPrivate);
  if (problem || allowPrivate) return problem;
  const host = hostOf(new URL(url));
  if (ipaddr.isValid(host)) return undefined;
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((found) => found.address);
  } catch {
    return `url's host ${host} does not resolve`;
  }
  const refused = addresses.find((address) => !isPublicAddress(address));
  return refused ? notPublic(refused) : undefined;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');
const notPublic = (address: string) => `url resolves to ${address}, which is not a public address: webhooks go to public addresses only`;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup for outgoing requests that refuses non-public addresses at connection time, so a name that changes
 * its answer after the URL was checked (DNS rebinding) still reaches no private address.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((found) => !isPublicAddress(found.address));
    if (refused)
      return callback(Object.assign(new Error(`${hostname} resolves to ${refused.address}, not a public address`), { code: 'EADDRNOTPUBLIC' }), []);
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}
