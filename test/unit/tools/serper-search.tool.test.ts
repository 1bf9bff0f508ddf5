import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  serperSearch,
  type SerperSearchOptions,
} from '../../../activities/tools/serper-search.tool';
import { ToolInputError } from '../../../activities/tools/tool-error';

const KEY = 'serper-test-key-0123456789';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

// Shaped like Serper's answers (extra fields included), trimmed to a few results.
const ORGANIC = {
  searchParameters: { q: 'apple inc', gl: 'us', hl: 'en', type: 'search', engine: 'google' },
  knowledgeGraph: {
    title: 'Apple',
    type: 'Technology company',
    website: 'http://www.apple.com/',
    description: 'Apple Inc. is an American multinational technology company.',
    attributes: { Founded: 'April 1, 1976' },
  },
  answerBox: { title: 'Apple Inc. - Founded', answer: 'April 1, 1976' },
  organic: [
    {
      title: 'Apple',
      link: 'https://www.apple.com/',
      snippet: 'Discover the innovative world of Apple.',
      sitelinks: [{ title: 'Support', link: 'https://support.apple.com/' }],
      position: 1,
    },
    {
      title: 'Apple Inc. - Wikipedia',
      link: 'https://en.wikipedia.org/wiki/Apple_Inc.',
      snippet: 'Apple Inc. is an American multinational corporation.',
      date: 'Jan 2, 2025',
      position: 2,
    },
    { title: 'Third', link: 'https://example.com/3', snippet: 'third', position: 3 },
  ],
  peopleAlsoAsk: [{ question: 'Who owns Apple?', snippet: '...', link: 'https://x.test/' }],
  relatedSearches: [{ query: 'apple stock' }],
  credits: 1,
};
const NEWS = {
  searchParameters: { q: 'apple', type: 'news', engine: 'google' },
  news: [
    {
      title: 'Apple unveils a thing',
      link: 'https://news.example.com/a',
      snippet: 'Cupertino, today.',
      date: '2 hours ago',
      source: 'Example News',
      imageUrl: 'https://news.example.com/a.jpg',
      position: 1,
    },
  ],
  credits: 1,
};

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method !== 'POST' || (req.url !== '/search' && req.url !== '/news')) {
        return json(404, { message: 'Not found', statusCode: 404 });
      }
      if (req.headers['x-api-key'] !== KEY) {
        return json(403, { message: 'Unauthorized.', statusCode: 403 });
      }
      if (req.headers['content-type'] !== 'application/json') {
        return json(400, { message: 'Expected JSON', statusCode: 400 });
      }
      const { q } = JSON.parse(body) as { q: string; num: number };
      if (q === 'nothing') return json(200, { searchParameters: { q }, organic: [], credits: 1 });
      if (q === 'rate limit') return json(429, { message: 'Too many requests', statusCode: 429 });
      if (q === 'broken') return res.writeHead(502).end('<html><body>Bad gateway</body></html>');
      if (q === 'echo') return json(500, { message: `internal error for key ${KEY}` });
      if (q === 'odd') return json(200, { organic: 'not a list' });
      if (q === 'slow') return void setTimeout(() => json(200, ORGANIC), 2000).unref();
      json(200, req.url === '/news' ? NEWS : ORGANIC);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

const options = (): SerperSearchOptions => ({ apiKey: KEY, baseUrl: base, timeoutMs: 5000 });

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('serperSearch', () => {
  it('posts the query to /search with the key in the X-API-KEY header only', async () => {
    await serperSearch({ query: 'apple inc' }, options());
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/search');
    expect(request?.headers['x-api-key']).toBe(KEY);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({ q: 'apple inc', num: 10 });
    expect(request?.url).not.toContain(KEY);
    expect(request?.body).not.toContain(KEY);
    const otherHeaders = Object.entries(request?.headers ?? {}).filter(([n]) => n !== 'x-api-key');
    expect(JSON.stringify(otherHeaders)).not.toContain(KEY);
  });

  it('returns the direct answer, the knowledge graph and numbered results', async () => {
    await expect(serperSearch({ query: 'apple inc' }, options())).resolves.toBe(
      [
        'Answer: April 1, 1976 (Apple Inc. - Founded)',
        '',
        'Apple: Apple Inc. is an American multinational technology company.',
        '',
        'Results for "apple inc":',
        '',
        '1. Apple',
        '   https://www.apple.com/',
        '   Discover the innovative world of Apple.',
        '',
        '2. Apple Inc. - Wikipedia (Jan 2, 2025)',
        '   https://en.wikipedia.org/wiki/Apple_Inc.',
        '   Apple Inc. is an American multinational corporation.',
        '',
        '3. Third',
        '   https://example.com/3',
        '   third',
      ].join('\n'),
    );
  });

  it('asks for n_results, or the configured default, and shows no more', async () => {
    const text = await serperSearch({ query: 'apple inc', n_results: 2 }, options());
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ q: 'apple inc', num: 2 });
    expect(text).toContain('2. Apple Inc. - Wikipedia');
    expect(text).not.toContain('3. Third');
    await serperSearch({ query: 'apple inc' }, { ...options(), defaultResults: 5 });
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ q: 'apple inc', num: 5 });
  });

  it('searches news at /news', async () => {
    const text = await serperSearch({ query: 'apple', search_type: 'news' }, options());
    expect(seen[0]?.url).toBe('/news');
    expect(text).toBe(
      [
        'News results for "apple":',
        '',
        '1. Apple unveils a thing (Example News, 2 hours ago)',
        '   https://news.example.com/a',
        '   Cupertino, today.',
      ].join('\n'),
    );
  });

  it('says when nothing was found', async () => {
    await expect(serperSearch({ query: 'nothing' }, options())).resolves.toBe(
      'No results for "nothing".',
    );
  });

  it('says the key was refused, as an ordinary error', async () => {
    const error = await failure(serperSearch({ query: 'x' }, { ...options(), apiKey: 'wrong' }));
    expect(error).not.toBeInstanceOf(ToolInputError);
    expect(error.message).toBe('Serper refused the API key (HTTP 403): Unauthorized.');
  });

  it('reports rate limits and server errors with their status', async () => {
    const limited = await failure(serperSearch({ query: 'rate limit' }, options()));
    expect(limited).not.toBeInstanceOf(ToolInputError);
    expect(limited.message).toBe('Serper answered HTTP 429 Too Many Requests: Too many requests');
    const broken = await failure(serperSearch({ query: 'broken' }, options()));
    expect(broken.message).toBe('Serper answered HTTP 502 Bad Gateway');
  });

  it('never repeats the key in a message', async () => {
    const error = await failure(serperSearch({ query: 'echo' }, options()));
    expect(error.message).toBe(
      'Serper answered HTTP 500 Internal Server Error: internal error for key ***',
    );
  });

  it('refuses an answer of an unknown shape', async () => {
    const error = await failure(serperSearch({ query: 'odd' }, options()));
    expect(error.message).toMatch(/Serper answered in a shape/);
  });

  it('gives up after timeoutMs, and stops when the caller aborts', async () => {
    const slow = await failure(serperSearch({ query: 'slow' }, { ...options(), timeoutMs: 200 }));
    expect(slow).not.toBeInstanceOf(ToolInputError);
    expect(slow.message).toBe('Serper did not answer within 200 ms');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by the caller')), 100);
    const cancelled = await failure(
      serperSearch({ query: 'slow' }, { ...options(), signal: controller.signal }),
    );
    expect(cancelled.message).toBe('cancelled by the caller');
  });

  it('says when Serper cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(
      serperSearch({ query: 'x' }, { ...options(), baseUrl: `http://127.0.0.1:${port}` }),
    );
    expect(error.message).toMatch(/^could not reach Serper: .*ECONNREFUSED/);
  });

  it('explains bad arguments', async () => {
    const message = async (args: unknown) => {
      const error = await failure(serperSearch(args, options()));
      expect(error).toBeInstanceOf(ToolInputError);
      return error.message;
    };
    expect(await message({})).toBe('Invalid arguments for serper_search: query is required');
    expect(await message({ query: '  ' })).toMatch(/query must not be empty/);
    expect(await message({ query: 'x'.repeat(2001) })).toMatch(/at most 2000 characters/);
    expect(await message({ query: 'x', n_results: 21 })).toMatch(/n_results must be at most 20/);
    expect(await message({ query: 'x', n_results: 1.5 })).toMatch(/n_results must be an integer/);
    expect(await message({ query: 'x', search_type: 'images' })).toBe(
      "Invalid arguments for serper_search: search_type must be 'search' or 'news'",
    );
    expect(await message('apple')).toMatch(/arguments must be an object/);
    expect(seen).toHaveLength(0);
  });
});
