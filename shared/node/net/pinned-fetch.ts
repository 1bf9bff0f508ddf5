/**
 * A `fetch` that connects to an address chosen (and checked) before the connection: for requests
 * made on behalf of a group, the host is resolved once, refused when it is private, and the
 * socket goes to exactly that address, so a DNS answer that changes in between (rebinding)
 * cannot send it elsewhere. TLS still verifies the certificate against the hostname. Redirects
 * are not followed: a 3xx comes back as it is.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { lookupAll, publicAddressOf, type Lookup } from './private-addresses';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The one address to connect to for a hostname; throws to refuse the request. */
export type AddressPin = (hostname: string) => Promise<string>;

/** Pins each request to the host's address, refusing hosts that are or resolve to private ones. */
export function publicOnlyFetch(lookup: Lookup = lookupAll): Fetch {
  return createPinnedFetch((hostname) => publicAddressOf(hostname, lookup));
}

export function createPinnedFetch(pin: AddressPin): Fetch {
  // Sockets kept alive here only ever connected to pinned addresses.
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`unsupported protocol ${url.protocol}`);
    }
    const address = await pin(url.hostname);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const outgoing = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: request.method,
          headers,
          agent: agents[url.protocol as keyof typeof agents],
          lookup: pinnedLookup(address),
          signal: request.signal,
        },
        (incoming) => resolve(toResponse(incoming, request.method)),
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
}

/** A DNS lookup that answers with the pinned address, whatever the name. */
function pinnedLookup(address: string) {
  const family = isIP(address);
  return (
    _hostname: string,
    options: LookupOptions,
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function toResponse(incoming: http.IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let index = 0; index + 1 < incoming.rawHeaders.length; index += 2) {
    headers.append(incoming.rawHeaders[index] as string, incoming.rawHeaders[index + 1] as string);
  }
  const status = incoming.statusCode ?? 502;
  const empty = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
  if (empty) incoming.resume();
  return new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), {
    status,
    statusText: incoming.statusMessage ?? '',
    headers,
  });
}
