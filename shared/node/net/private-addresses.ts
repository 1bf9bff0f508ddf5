/**
 * Loopback, private, link-local and reserved addresses: where requests made on behalf of a
 * group must not go unless the operator (or a system administrator) allowed it.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// This host, the LAN, cloud metadata endpoints (169.254.169.254), CGNAT, multicast and
// reserved space. BlockList also matches the IPv4-mapped IPv6 forms (::ffff:127.0.0.1)
// against the IPv4 ranges.
const privateRanges = new BlockList();
for (const range of [
  ...['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16'],
  ...['172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'],
  ...['::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'],
]) {
  const [network = '', prefix] = range.split('/');
  privateRanges.addSubnet(network, Number(prefix), isIP(network) === 4 ? 'ipv4' : 'ipv6');
}

/** True for loopback, private, link-local, unspecified and CGNAT addresses, and non-addresses. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return true; // not an address: refuse rather than guess
  return privateRanges.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export type Lookup = (hostname: string) => Promise<string[]>;

export const lookupAll: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((result) => result.address);

/** The host's addresses (itself when it is one); none when it does not resolve. */
export async function addressesOf(hostname: string, lookup: Lookup = lookupAll) {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, addresses: isIP(host) ? [host] : await lookup(host).catch((): string[] => []) };
}

/** A request refused because its host is, or resolves to, a private address. */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} is the private or loopback address ${address}`);
  }
}

/** The address to connect to for a host none of whose addresses is private. */
export async function publicAddressOf(hostname: string, lookup: Lookup = lookupAll) {
  const { host, addresses } = await addressesOf(hostname, lookup);
  const [first] = addresses;
  if (first === undefined) throw new Error(`could not resolve host ${host}`);
  const blocked = addresses.find(isPrivateAddress);
  if (blocked !== undefined) throw new PrivateAddressError(host, blocked);
  return first;
}

/** The first private address the URL's host is or resolves to, if any. */
export async function privateAddressOf(
  url: string,
  lookup: Lookup = lookupAll,
): Promise<string | undefined> {
  if (!URL.canParse(url)) return undefined;
  const { addresses } = await addressesOf(new URL(url).hostname, lookup);
  return addresses.find(isPrivateAddress);
}

const loopbackRanges = new BlockList();
loopbackRanges.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackRanges.addAddress('::1', 'ipv6');

/** True for this host's own addresses (127.0.0.0/8, ::1, and ::ffff:127.x.y.z). */
export function isLoopbackAddress(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && loopbackRanges.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
