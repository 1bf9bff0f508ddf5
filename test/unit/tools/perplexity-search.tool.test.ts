import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  perplexitySearch,
  type PerplexitySearchOptions,
} from '../../../activities/tools/perplexity-search.tool';
import { ToolInputError } from '../../../activities/tools/tool-error';

const KEY = 'pplx-test-key-0123456789';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  search_recency_filter?: string;
}

/** A chat completion as Perplexity answers one (extra fields included). */
function completion(content: string, sources: { citations?: unknown; search_results?: unknown }) {
  return {
    id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
    model: 'sonar',
    created: 1724369245,
    object: 'chat.completion',
    usage: {
      prompt_tokens: 5,
      completion_tokens: 40,
      total_tokens: 45,
      search_context_size: 'low',
    },
    ...sources,
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        message: { role: 'assistant', content },
        delta: { role: 'assistant', content: '' },
      },
    ],
  };
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method !== 'POST' || req.url !== '/chat/completions') {
        return json(404, { error: { message: 'Not found', type: 'not_found', code: 404 } });
      }
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        return res
          .writeHead(401, { 'content-type': 'text/html' })
          .end('<html><head><title>401 Authorization Required</title></head></html>');
      }
      const request = JSON.parse(body) as ChatRequest;
      const query = request.messages[0]?.content;
      if (request.model !== 'sonar' && request.model !== 'sonar-reasoning') {
        return json(400, {
          error: { message: `Invalid model '${request.model}'`, type: 'invalid_model', code: 400 },
        });
      }
      if (query === 'rate limit') {
        return json(429, { error: { message: 'Rate limit exceeded', type: 'rate_limit' } });
      }
      if (query === 'down') return json(503, { error: { message: 'Service unavailable' } });
      if (query === 'slow') return void setTimeout(() => json(200, {}), 2000).unref();
      if (query === 'no sources') return json(200, completion('Just an answer.', {}));
      if (query === 'only results') {
        return json(
          200,
          completion('Answer [1].', {
            search_results: [{ title: 'Only', url: 'https://only.test/', date: null }],
          }),
        );
      }
      if (query === 'thinking') {
        return json(200, completion('<think>\nLet me see.\n</think>\n\nForty-two.', {}));
      }
      if (query === 'empty') return json(200, completion('', {}));
      json(
        200,
        completion('Paris is the capital of France [1][2].', {
          citations: ['https://en.wikipedia.org/wiki/Paris', 'https://www.france.fr/'],
          search_results: [
            {
              title: 'Paris - Wikipedia',
              url: 'https://en.wikipedia.org/wiki/Paris',
              date: '2025-01-15',
              last_updated: '2025-02-01',
            },
            { title: 'France.fr', url: 'https://www.france.fr/' },
          ],
        }),
      );
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

const options = (): PerplexitySearchOptions => ({ apiKey: KEY, baseUrl: base, timeoutMs: 5000 });

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('perplexitySearch', () => {
  it('sends a chat completion request with the key as a bearer token', async () => {
    await perplexitySearch({ query: 'capital of France?' }, options());
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      model: 'sonar',
      messages: [{ role: 'user', content: 'capital of France?' }],
    });
    expect(seen[0]?.body).not.toContain(KEY);
  });

  it('returns the answer followed by numbered sources', async () => {
    await expect(perplexitySearch({ query: 'capital of France?' }, options())).resolves.toBe(
      [
        'Paris is the capital of France [1][2].',
        '',
        'Sources:',
        '1. Paris - Wikipedia — https://en.wikipedia.org/wiki/Paris (2025-01-15)',
        '2. France.fr — https://www.france.fr/',
      ].join('\n'),
    );
  });

  it('passes search_recency_filter and the configured model', async () => {
    await perplexitySearch(
      { query: 'news', search_recency_filter: 'week' },
      { ...options(), model: 'sonar-reasoning' },
    );
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      model: 'sonar-reasoning',
      messages: [{ role: 'user', content: 'news' }],
      search_recency_filter: 'week',
    });
  });

  it('copes with answers without citations or sources', async () => {
    await expect(perplexitySearch({ query: 'no sources' }, options())).resolves.toBe(
      'Just an answer.',
    );
    await expect(perplexitySearch({ query: 'only results' }, options())).resolves.toBe(
      'Answer [1].\n\nSources:\n1. Only — https://only.test/',
    );
  });

  it('drops the reasoning models’ <think> section', async () => {
    await expect(perplexitySearch({ query: 'thinking' }, options())).resolves.toBe('Forty-two.');
  });

  it('says the key was refused, as an ordinary error', async () => {
    const error = await failure(
      perplexitySearch({ query: 'x' }, { ...options(), apiKey: 'wrong' }),
    );
    expect(error).not.toBeInstanceOf(ToolInputError);
    expect(error.message).toBe('Perplexity refused the API key (HTTP 401)');
  });

  it('reports other failures with their status and Perplexity’s message', async () => {
    const limited = await failure(perplexitySearch({ query: 'rate limit' }, options()));
    expect(limited).not.toBeInstanceOf(ToolInputError);
    expect(limited.message).toBe(
      'Perplexity answered HTTP 429 Too Many Requests: Rate limit exceeded',
    );
    const down = await failure(perplexitySearch({ query: 'down' }, options()));
    expect(down.message).toBe(
      'Perplexity answered HTTP 503 Service Unavailable: Service unavailable',
    );
    const model = await failure(perplexitySearch({ query: 'x' }, { ...options(), model: 'gpt' }));
    expect(model).not.toBeInstanceOf(ToolInputError);
    expect(model.message).toBe("Perplexity answered HTTP 400 Bad Request: Invalid model 'gpt'");
    const empty = await failure(perplexitySearch({ query: 'empty' }, options()));
    expect(empty.message).toBe('Perplexity answered with no text');
  });

  it('gives up after timeoutMs', async () => {
    const error = await failure(
      perplexitySearch({ query: 'slow' }, { ...options(), timeoutMs: 200 }),
    );
    expect(error.message).toBe('Perplexity did not answer within 200 ms');
  });

  it('explains bad arguments', async () => {
    const message = async (args: unknown) => {
      const error = await failure(perplexitySearch(args, options()));
      expect(error).toBeInstanceOf(ToolInputError);
      return error.message;
    };
    expect(await message({})).toBe('Invalid arguments for perplexity_search: query is required');
    expect(await message({ query: 'x'.repeat(4001) })).toMatch(/at most 4000 characters/);
    expect(await message({ query: 'x', search_recency_filter: 'hour' })).toBe(
      'Invalid arguments for perplexity_search: search_recency_filter must be one of ' +
        "'day', 'week', 'month', 'year'",
    );
    expect(await message({ query: 'x', model: 'sonar-pro' })).toMatch(/model/);
    expect(seen).toHaveLength(0);
  });
});
