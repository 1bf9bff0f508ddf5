/**
 * The fetch that requests made on a group's behalf use: it connects to the address it checked
 * (never resolving the name again), refuses private ones, and behaves as fetch for the openai
 * client (status, headers, a streamed body, cancellation).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPinnedFetch, publicOnlyFetch } from '../../shared/node/net/pinned-fetch';
import { PrivateAddressError } from '../../shared/node/net/private-addresses';

let server: Server;
let port: number;
const seen: { host: string | undefined; method: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        host: req.headers.host,
        method: req.method,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 20);
        return;
      }
      if (req.url === '/hang') return; // never answers
      res
        .writeHead(201, { 'content-type': 'application/json', 'x-answer': '42' })
        .end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

describe('a pinned fetch', () => {
  // Tells every name to go to the local server: what a checked, pinned address looks like.
  const pinnedHere = createPinnedFetch(() => Promise.resolve('127.0.0.1'));

  it('connects to the pinned address, keeping the name for the Host header', async () => {
    const response = await pinnedHere(`http://llm.example.test:${port}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('42');
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toEqual([
      { host: `llm.example.test:${port}`, method: 'POST', body: '{"model":"m"}' },
    ]);
  });

  it('streams the body as it arrives', async () => {
    const response = await pinnedHere(`http://llm.example.test:${port}/stream`);
    expect(await response.text()).toBe('data: one\n\ndata: two\n\n');
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = pinnedHere(`http://llm.example.test:${port}/hang`, {
      signal: controller.signal,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('a public-only fetch', () => {
  it('refuses a name that resolves to a private address, without connecting', async () => {
    const refuse = publicOnlyFetch(() => Promise.resolve(['93.184.216.34', '127.0.0.1']));
    const error = await refuse(`http://llm.example.test:${port}/v1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect((error as PrivateAddressError).message).toBe(
      'llm.example.test is the private or loopback address 127.0.0.1',
    );
    expect(seen).toEqual([]);
  });

  it('refuses private address literals and names the system resolves inside', async () => {
    const refuse = publicOnlyFetch();
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:10.0.0.1]/',
    ]) {
      await expect(refuse(url)).rejects.toBeInstanceOf(PrivateAddressError);
    }
    expect(seen).toEqual([]);
  });

  it('fails, rather than guess, when the name does not resolve', async () => {
    const refuse = publicOnlyFetch(() => Promise.resolve([]));
    await expect(refuse('http://nowhere.example.test/')).rejects.toThrow(
      'could not resolve host nowhere.example.test',
    );
  });
});
