/**
 * A real MCP server over streamable HTTP (stateful sessions), built with the SDK's server
 * side, that requires a header. It can be stopped and started again on the same port, losing
 * its sessions as a restarted server does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface HttpMcpServer {
  url: string;
  /** Tool calls received, e.g. `km_to_miles 42`. */
  calls: string[];
  /** Sessions opened (initialize requests accepted). */
  sessions: number;
  stop(): Promise<void>;
  /** Listens again on the same port, with no sessions. */
  start(): Promise<void>;
}

function unitsServer(calls: string[]): McpServer {
  const server = new McpServer({ name: 'units', version: '1.0.0' });
  server.registerTool(
    'km_to_miles',
    { description: 'Convert kilometres to miles', inputSchema: { km: z.number() } },
    ({ km }) => {
      calls.push(`km_to_miles ${km}`);
      return {
        content: [{ type: 'text', text: `${km} km = ${(km * 0.621371).toFixed(2)} miles` }],
      };
    },
  );
  server.registerTool(
    'celsius_to_fahrenheit',
    { description: 'Convert Celsius to Fahrenheit', inputSchema: { celsius: z.number() } },
    ({ celsius }) => {
      calls.push(`celsius_to_fahrenheit ${celsius}`);
      return { content: [{ type: 'text', text: `${(celsius * 9) / 5 + 32} °F` }] };
    },
  );
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

export async function startHttpMcpServer(required: {
  header: string;
  value: string;
}): Promise<HttpMcpServer> {
  const calls: string[] = [];
  let transports = new Map<string, StreamableHTTPServerTransport>();
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const state: HttpMcpServer = {
    url: '',
    calls,
    sessions: 0,
    async start() {
      transports = new Map();
      server = createServer((req, res) => {
        void (async () => {
          if (req.headers[required.header] !== required.value) {
            res
              .writeHead(401, { 'content-type': 'application/json' })
              .end('{"error":"unauthorized"}');
            return;
          }
          const body = req.method === 'POST' ? await readJson(req) : undefined;
          const sessionId = req.headers['mcp-session-id'];
          let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
          if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
            const created = new StreamableHTTPServerTransport({
              sessionIdGenerator: () => randomUUID(),
              onsessioninitialized: (id) => {
                transports.set(id, created);
                state.sessions += 1;
              },
            });
            await unitsServer(calls).connect(created);
            transport = created;
          }
          if (!transport) {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(
              '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}',
            );
            return;
          }
          await transport.handleRequest(req, res, body);
        })();
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      state.url = `http://127.0.0.1:${port}/mcp`;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await state.start();
  return state;
}

/** The same tools over the older HTTP+SSE transport (GET /sse, POST /messages), same header rule. */
export async function startSseMcpServer(required: {
  header: string;
  value: string;
}): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const transports = new Map<string, SSEServerTransport>();
  const server = createServer((req, res) => {
    void (async () => {
      if (req.headers[required.header] !== required.value) {
        res.writeHead(401).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        transports.set(transport.sessionId, transport);
        res.once('close', () => transports.delete(transport.sessionId));
        await unitsServer(calls).connect(transport);
        return;
      }
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (req.method === 'POST' && url.pathname === '/messages' && transport) {
        await transport.handlePostMessage(req, res, await readJson(req));
        return;
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
