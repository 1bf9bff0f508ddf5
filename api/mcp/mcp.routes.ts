/**
 * `/mcp`: Kasal as a Model Context Protocol server over streamable HTTP, authenticated like
 * every other endpoint (bearer JWT or API key, `X-Group-Id`).
 *
 * Stateless: each POST carries one JSON-RPC message, is authenticated on its own, and gets a
 * fresh server and transport that live as long as its response. Nothing is kept between
 * requests, so any API process can answer any request and credentials are checked every time.
 * A tool call that waits for a run answers as a Server-Sent Events stream (with keep-alives
 * and progress notifications) that ends with the result. There is no session to resume or
 * delete and no server-initiated stream, so GET and DELETE answer 405, as the spec allows.
 */
import type { IncomingMessage } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../shared/node/logger';
import type { AccessGuards, EndpointRouter } from '../http/endpoint';
import type { ExecutionsService } from '../services/executions.service';
import { createKasalMcpServer } from './kasal-mcp-server';

export const MCP_PATH = '/mcp';

const JsonRpcMessageSchema = z.looseObject({ jsonrpc: z.literal('2.0') });
/** How the MCP transport refuses a request: a JSON-RPC error. */
const JsonRpcErrorSchema = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number().int(), message: z.string() }),
  id: z.union([z.string(), z.number(), z.null()]),
});

export function addMcpRoutes(
  endpoints: EndpointRouter,
  router: Router,
  deps: { guards: AccessGuards; executions: ExecutionsService; logger: Logger },
): void {
  const { guards, executions } = deps;
  endpoints.add({
    method: 'post',
    path: MCP_PATH,
    tags: ['MCP'],
    summary: 'Model Context Protocol server (streamable HTTP): list, run and fetch crews',
    description:
      'Point an MCP client at this URL with the same `Authorization` (JWT or API key) and ' +
      'optional `X-Group-Id` as the rest of the API. Tools: `list_crews`, `run_crew` (needs ' +
      'the role to run executions), `get_execution`. Answers JSON-RPC as JSON or as a ' +
      '`text/event-stream`; the client must accept both.',
    // Any member may connect; run_crew checks the right to run for itself.
    access: 'definitions:read',
    body: z
      .union([JsonRpcMessageSchema, z.array(JsonRpcMessageSchema)])
      .meta({ description: 'A JSON-RPC 2.0 message of the Model Context Protocol' }),
    subject: 'MCP message',
    errors: {
      406: {
        description: 'The client does not accept both application/json and text/event-stream',
        schema: JsonRpcErrorSchema,
      },
    },
    handler: async ({ req, res, auth, group, body }) => {
      const server = createKasalMcpServer({
        req,
        auth,
        group,
        guards,
        executions,
        logger: deps.logger,
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        // Ends any tool still waiting for a run (the run itself goes on).
        const closed = (error: unknown) => deps.logger.warn({ err: error }, 'MCP close failed');
        transport.close().catch(closed);
        server.close().catch(closed);
      });
      await server.connect(transport);
      // `req.auth` is Kasal's caller, not the SDK's OAuth `AuthInfo`: the tools get the caller
      // and group from `createKasalMcpServer`, not from the transport.
      await transport.handleRequest(req as IncomingMessage, res, body);
    },
  });

  const notAllowed: RequestHandler = (_req, res) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json({
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: 'Method not allowed: this MCP server is stateless; send messages with POST',
        },
        id: null,
      });
  };
  router.get(MCP_PATH, notAllowed);
  router.delete(MCP_PATH, notAllowed);
}
