/**
 * Connecting to an MCP server with the official SDK client, over stdio, streamable HTTP or
 * SSE, and reading its tools. Used by the worker (tool calls) and the API (connection tests).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SseError, SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { openMap, type SecretBox } from '../crypto/secret-box';
import type { McpServer, McpTransport } from '../db/entities';

/** A server's connection settings with its secrets opened. */
export interface McpServerSettings {
  id: string;
  name: string;
  transport: McpTransport;
  command?: string;
  args: string[];
  url?: string;
  env: Record<string, string>;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Changes when the settings change, so a kept connection is replaced. */
  version: string;
}

export function serverSettings(row: McpServer, secrets: SecretBox): McpServerSettings {
  const apiKey = row.apiKeyEncrypted ? secrets.open(row.apiKeyEncrypted) : undefined;
  return {
    id: row.id,
    name: row.name,
    transport: row.transport,
    ...(row.command && { command: row.command }),
    args: row.args,
    ...(row.url && { url: row.url }),
    env: openMap(secrets, row.envEncrypted),
    headers: {
      ...openMap(secrets, row.headersEncrypted),
      ...(apiKey && { authorization: `Bearer ${apiKey}` }),
    },
    timeoutMs: row.timeoutSeconds * 1000,
    version: row.updatedAt.toISOString(),
  };
}

function transportFor(settings: McpServerSettings): Transport {
  switch (settings.transport) {
    case 'stdio':
      return new StdioClientTransport({
        command: settings.command ?? '',
        args: settings.args,
        env: { ...getDefaultEnvironment(), ...settings.env },
        stderr: 'ignore',
      });
    case 'streamable-http':
      return new StreamableHTTPClientTransport(new URL(settings.url ?? ''), {
        requestInit: { headers: settings.headers },
      });
    case 'sse':
      // The event stream's GET does not use requestInit: headers go through fetch itself.
      return new SSEClientTransport(new URL(settings.url ?? ''), {
        fetch: (url, init) =>
          fetch(url, { ...init, headers: { ...headersOf(init?.headers), ...settings.headers } }),
      });
  }
}

const headersOf = (headers: ConstructorParameters<typeof Headers>[0]): Record<string, string> =>
  Object.fromEntries(new Headers(headers).entries());

/** Opens a session with the server (initialize handshake included). */
export async function connectMcp(settings: McpServerSettings): Promise<Client> {
  const client = new Client({ name: 'kasal', version: '1.0.0' });
  await client.connect(transportFor(settings), { timeout: settings.timeoutMs });
  return client;
}

/** Every tool the server offers, following pagination. */
export async function listAllTools(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** What went wrong with a server, without what it answered (its body may be anything). */
export interface McpFailure {
  /** Short and safe to show: `HTTP 401`, `ECONNREFUSED`, `Connection closed`, … */
  reason: string;
  /** Retrying cannot help: the server refused the credentials or the request itself. */
  permanent: boolean;
}

export function describeMcpFailure(error: unknown): McpFailure {
  if (error instanceof StreamableHTTPError || error instanceof SseError) {
    const status = error.code ?? 0;
    return {
      reason: status > 0 ? `HTTP ${status}` : 'unexpected HTTP answer',
      permanent:
        status >= 400 && status < 500 && status !== 404 && status !== 408 && status !== 429,
    };
  }
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  const systemCode = typeof cause?.code === 'string' ? cause.code : code;
  if (typeof systemCode === 'string') return { reason: systemCode, permanent: false };
  return { reason: ((error as Error).message ?? String(error)).slice(0, 200), permanent: false };
}
