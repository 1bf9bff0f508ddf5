import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchUrl, type FetchUrlOptions } from '../../../activities/tools/fetch-url.tool';
import { isPrivateAddress } from '../../../shared/node/net/private-addresses';
import { ToolInputError } from '../../../activities/tools/tool-error';

const PAGE = `<!doctype html><html><head><title>Facts</title>
<style>body { color: red }</style><script>alert("hidden")</script></head>
<body><h1>Big   news</h1><p>Cats &amp; dogs &lt;3 &quot;friends&quot; &#39;forever&#39;&nbsp;&#x263A;</p>
<noscript>enable js</noscript><ul><li>one</li><li>two</li></ul><!-- a comment --></body></html>`;

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const loop = /^\/loop\/(\d+)$/.exec(url);
    if (loop) {
      res.writeHead(302, { location: `/loop/${Number(loop[1]) + 1}` }).end();
    } else if (url === '/slow') {
      setTimeout(() => res.end('too late'), 2000).unref();
    } else if (url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url === '/data.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer": 42}');
    } else if (url === '/long.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000));
    } else if (url === '/image.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0, 1]));
    } else if (url === '/redirect') {
      res.writeHead(301, { location: '/data.json' }).end();
    } else if (url === '/redirect-to-loopback') {
      const { port } = server.address() as AddressInfo;
      res.writeHead(302, { location: `http://127.0.0.1:${port}/data.json` }).end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const local: FetchUrlOptions = { allowPrivateNetworks: true, timeoutMs: 5000, maxBytes: 1_000_000 };

async function refusal(promise: Promise<unknown>): Promise<ToolInputError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  return error as ToolInputError;
}

describe('fetchUrl', () => {
  it('reduces HTML to readable text', async () => {
    const text = await fetchUrl({ url: `${base}/page.html` }, local);
    expect(text).toBe('Facts\nBig news\nCats & dogs <3 "friends" \'forever\' \u263a\none\ntwo');
  });

  it('returns JSON as it is', async () => {
    await expect(fetchUrl({ url: `${base}/data.json` }, local)).resolves.toBe('{"answer": 42}');
  });

  it('truncates to max_chars and says so', async () => {
    const text = await fetchUrl({ url: `${base}/long.txt`, max_chars: 100 }, local);
    expect(text).toBe(`${'x'.repeat(100)}\n[truncated at 100 characters]`);
  });

  it('reads at most maxBytes of the body', async () => {
    const text = await fetchUrl({ url: `${base}/long.txt` }, { ...local, maxBytes: 1000 });
    expect(text).toBe(`${'x'.repeat(1000)}\n[truncated at 1000 bytes]`);
  });

  it('refuses a loopback address unless private networks are allowed', async () => {
    const error = await refusal(
      fetchUrl({ url: `${base}/data.json` }, { ...local, allowPrivateNetworks: false }),
    );
    expect(error.message).toMatch(/private or loopback address 127\.0\.0\.1/);
    await expect(fetchUrl({ url: `${base}/data.json` }, local)).resolves.toContain('42');
    // The URL parser normalises these spellings; the guard sees the loopback address anyway.
    for (const url of ['http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0x7f.1/']) {
      await refusal(fetchUrl({ url }, { ...local, allowPrivateNetworks: false }));
    }
  });

  it('refuses a hostname that resolves to a private address', async () => {
    const options: FetchUrlOptions = {
      ...local,
      allowPrivateNetworks: false,
      lookup: () => Promise.resolve(['93.184.216.34', '10.0.0.5']),
    };
    const error = await refusal(fetchUrl({ url: 'http://intranet.example.test/' }, options));
    expect(error.message).toMatch(/10\.0\.0\.5/);
  });

  it('checks the host of every redirect hop', async () => {
    const port = (server.address() as AddressInfo).port;
    // The guard is told "localhost" is public; fetch still connects to the local server,
    // whose redirect to a loopback IP literal must then be refused.
    const options: FetchUrlOptions = {
      ...local,
      allowPrivateNetworks: false,
      lookup: () => Promise.resolve(['93.184.216.34']),
    };
    const error = await refusal(
      fetchUrl({ url: `http://localhost:${port}/redirect-to-loopback` }, options),
    );
    expect(error.message).toMatch(/refused to fetch http:\/\/127\.0\.0\.1:\d+\/data\.json/);
  });

  it('follows redirects', async () => {
    await expect(fetchUrl({ url: `${base}/redirect` }, local)).resolves.toBe('{"answer": 42}');
  });

  it('refuses more than 5 redirects', async () => {
    const error = await refusal(fetchUrl({ url: `${base}/loop/0` }, local));
    expect(error.message).toBe(`too many redirects (more than 5) from ${base}/loop/0`);
  });

  it('reports a 404 to the agent', async () => {
    const error = await refusal(fetchUrl({ url: `${base}/missing` }, local));
    expect(error.message).toBe(`HTTP 404 Not Found from ${base}/missing`);
  });

  it('gives up after timeoutMs', async () => {
    const error = await refusal(fetchUrl({ url: `${base}/slow` }, { ...local, timeoutMs: 200 }));
    expect(error.message).toBe(`timed out after 200 ms fetching ${base}/slow`);
  });

  it('refuses binary content', async () => {
    const error = await refusal(fetchUrl({ url: `${base}/image.png` }, local));
    expect(error.message).toMatch(/^unsupported content type image\/png/);
  });

  it('explains bad arguments', async () => {
    expect((await refusal(fetchUrl({}, local))).message).toBe(
      'Invalid arguments for fetch_url: url is required',
    );
    expect((await refusal(fetchUrl({ url: 'ftp://example.com/file' }, local))).message).toBe(
      'Invalid arguments for fetch_url: url must use http:// or https://, not ftp://',
    );
    expect((await refusal(fetchUrl({ url: 'example.com' }, local))).message).toMatch(
      /url must be an absolute URL/,
    );
    expect((await refusal(fetchUrl({ url: base, max_chars: 5 }, local))).message).toMatch(
      /max_chars must be at least 100/,
    );
    expect((await refusal(fetchUrl('https://example.com', local))).message).toMatch(
      /arguments must be an object/,
    );
  });
});

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fc00::1', true],
    ['fd12:3456::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['not-an-ip', true],
  ])('%s → %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});
