/** The fetch_url tool: fetches a URL for an agent, refusing private networks unless allowed. */
import { z } from 'zod';
import {
  lookupAll,
  PrivateAddressError,
  publicAddressOf,
  type Lookup,
} from '../../shared/node/net/private-addresses';
import { parseToolArgs, ToolInputError, truncate } from './tool-error';

export interface FetchUrlOptions {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** Most bytes of a response body read; the rest is never downloaded. */
  maxBytes: number;
  /** Resolves a hostname to its addresses; tests inject one, the default asks the OS. */
  lookup?: Lookup;
}

const MAX_REDIRECTS = 5;
const TEXT_TYPE = /^text\/|^application\/(json|xml|javascript|x-ndjson)$|\+(json|xml)$/;

const FetchUrlArgs = z.strictObject(
  {
    url: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .transform((value, ctx) => {
        const url = URL.canParse(value) ? new URL(value) : undefined;
        if (url?.protocol === 'http:' || url?.protocol === 'https:') return url;
        const message = url
          ? `must use http:// or https://, not ${url.protocol}//`
          : 'must be an absolute URL such as https://example.com/page';
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }),
    max_chars: z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(100, 'must be at least 100')
      .max(100_000, 'must be at most 100000')
      .default(20_000),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

export async function fetchUrl(args: unknown, options: FetchUrlOptions): Promise<string> {
  const { url, max_chars: maxChars } = parseToolArgs('fetch_url', FetchUrlArgs, args);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetchFollowingRedirects(url, options, signal);
    const [type = '', ...params] = (response.headers.get('content-type') ?? '').split(';');
    const mediaType = type.trim().toLowerCase();
    const html = mediaType === 'text/html' || mediaType === 'application/xhtml+xml';
    if (mediaType !== '' && !html && !TEXT_TYPE.test(mediaType)) {
      await response.body?.cancel();
      throw new ToolInputError(`unsupported content type ${mediaType} from ${response.url}`);
    }
    const { bytes, cut } = await readAtMost(response.body, options.maxBytes);
    if (mediaType === '' && bytes.includes(0)) {
      throw new ToolInputError(`unsupported content type: ${response.url} looks like binary data`);
    }
    const charset = params.map((p) => /^\s*charset="?([^";\s]+)/i.exec(p)?.[1]).find(Boolean);
    const raw = decode(bytes, charset);
    const text = truncate(html ? htmlToText(raw) : raw, maxChars);
    const cutNote =
      cut && text.length <= maxChars ? `\n[truncated at ${options.maxBytes} bytes]` : '';
    return text + cutNote;
  } catch (error) {
    if (error instanceof ToolInputError) throw error;
    if (signal.aborted) {
      throw new ToolInputError(`timed out after ${options.timeoutMs} ms fetching ${url.href}`);
    }
    // Network failures stay ordinary errors: they may well succeed when retried.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new Error(`could not fetch ${url.href}: ${String(cause)}`, { cause: error });
  }
}

async function fetchFollowingRedirects(start: URL, options: FetchUrlOptions, signal: AbortSignal) {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!options.allowPrivateNetworks) await assertPublicHost(url, options.lookup ?? lookupAll);
    // Redirects are followed by hand so that every hop's host goes through the check above.
    const response = await fetch(url, { redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
      if (next?.protocol !== 'http:' && next?.protocol !== 'https:') {
        throw new ToolInputError(`${url.href} redirected to an unsupported location: ${location}`);
      }
      url = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      const reason = response.statusText ? ` ${response.statusText}` : '';
      throw new ToolInputError(`HTTP ${response.status}${reason} from ${url.href}`);
    }
    return response;
  }
  throw new ToolInputError(`too many redirects (more than ${MAX_REDIRECTS}) from ${start.href}`);
}

// fetch resolves the name again to connect, so a DNS server answering differently in between
// could still slip through; shared/node/net/pinned-fetch.ts closes that gap (LLM calls and
// webhooks use it), this tool does not yet.
/** Refuses a URL whose host is (or resolves to) a loopback, private or link-local address. */
async function assertPublicHost(url: URL, lookup: Lookup): Promise<void> {
  await publicAddressOf(url.hostname, lookup).catch((error: unknown) => {
    throw new ToolInputError(
      error instanceof PrivateAddressError
        ? `refused to fetch ${url.href}: ${error.message}, and the operator has not allowed private networks`
        : (error as Error).message,
    );
  });
}

async function readAtMost(body: ReadableStream<Uint8Array> | null, maxBytes: number) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const reader = body?.getReader(); reader;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, maxBytes - size));
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel(); // the rest is never downloaded
      return { bytes: Buffer.concat(chunks), cut: true };
    }
  }
  return { bytes: Buffer.concat(chunks), cut: false };
}

function decode(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes); // a charset label TextDecoder does not know
  }
}

const BLOCK_TAGS = new RegExp(
  '<\\/?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|form|' +
    'h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|title|tr|ul)\\b[^>]*>',
  'gi',
);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', nbsp: ' ' };

/** Readable text from HTML; a few regexes are enough for what an LLM needs to read. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|noscript|template|svg)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(BLOCK_TAGS, '\n')
    .replace(/<\/?(?:td|th)\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(
      /&(?:#(\d+)|#x([0-9a-f]+)|([a-z]+));/gi,
      (entity, dec?: string, hex?: string, name?: string) => {
        if (name !== undefined) return ENTITIES[name.toLowerCase()] ?? entity;
        const code = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
      },
    )
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{2,}/g, '\n') // block tags on both sides of a line leave blank ones
    .trim();
}
