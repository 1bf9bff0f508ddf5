/**
 * MCP tools as activities: listing a server's tools when a run starts (pinned in history), and
 * one activity per tool call through the SDK's client. A server that cannot be reached makes
 * the activity retry (reconnecting each time); a tool's own error is an observation for the
 * agent.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpAttachment } from '../shared/compiler/tool-resolution';
import { FAILURE_TYPES } from '../shared/errors';
import type { McpToolRequest, ToolResult } from '../shared/llm/chat';
import type { SecretBox } from '../shared/node/crypto/secret-box';
import { McpServerEntity } from '../shared/node/db/entities';
import type { Orm } from '../shared/node/db/orm';
import {
  describeMcpFailure,
  listAllTools,
  serverSettings,
  type McpServerSettings,
} from '../shared/node/mcp/mcp-client';
import type { PlannedTool } from '../shared/tools/tool-descriptor';
import type { NewEvent } from '../shared/node/db/execution-events';
import { stepKey, toolEvent } from './events';
import type { McpConnections } from './mcp/mcp-connections';
import type { ExecutionStore } from '../shared/node/store/execution-store';
import { parseToolCallArguments } from './tools/tool-error';

export function createMcpActivities(deps: {
  orm: Orm;
  secrets: SecretBox;
  connections: McpConnections;
  events: (events: NewEvent[]) => Promise<void>;
  store: ExecutionStore;
}) {
  /** The server's settings; a deleted or disabled server fails the step for good. */
  async function settingsOf(groupId: string, serverId: string, name: string) {
    const row = await deps.orm.em.fork().findOne(McpServerEntity, { id: serverId, groupId });
    if (!row || !row.enabled) {
      await deps.connections.drop(serverId);
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.toolUnavailable,
        nonRetryable: true,
        message: `MCP server '${name}' was ${row ? 'disabled' : 'deleted'} in this group`,
      });
    }
    return serverSettings(row, deps.secrets);
  }

  /**
   * Runs `use` on the server's session. A connection problem drops the session and retries
   * (the next attempt reconnects); a refusal (401, 403, 400) fails for good. Errors the
   * server answered with, and this activity's own cancellation, pass through as they are.
   */
  async function withSession<T>(
    settings: McpServerSettings,
    use: (client: Awaited<ReturnType<McpConnections['client']>>) => Promise<T>,
  ): Promise<T> {
    try {
      return await use(await deps.connections.client(settings));
    } catch (error) {
      if (isToolLevel(error) || Context.current().cancellationSignal.aborted) throw error;
      const failure = describeMcpFailure(error);
      if (failure.permanent) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.toolUnavailable,
          nonRetryable: true,
          message: `MCP server '${settings.name}' refused the request (${failure.reason})`,
        });
      }
      await deps.connections.drop(settings.id);
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.mcpUnreachable,
        message: `MCP server '${settings.name}' is unreachable: ${failure.reason}`,
      });
    }
  }

  return {
    /** The tools of each attached server (or the subset named), as the plan pins them. */
    async listMcpTools(request: {
      groupId: string;
      servers: McpAttachment[];
    }): Promise<PlannedTool[][]> {
      return Promise.all(
        request.servers.map(async (attachment) => {
          const settings = await settingsOf(
            request.groupId,
            attachment.server_id,
            attachment.server,
          );
          const tools = await withSession(settings, (client) =>
            listAllTools(client, settings.timeoutMs),
          ).catch((error: unknown) => {
            if (!isToolLevel(error)) throw error;
            throw ApplicationFailure.create({
              type: FAILURE_TYPES.toolUnavailable,
              nonRetryable: true,
              message: `MCP server '${settings.name}' could not list its tools: ${(error as Error).message}`,
            });
          });
          return pick(tools, attachment).map((tool) => plannedMcpTool(tool, settings));
        }),
      );
    },

    async callMcpTool(request: McpToolRequest): Promise<ToolResult> {
      const started = performance.now();
      const settings = await settingsOf(request.groupId, request.server_id, request.server);
      const parsed = parseToolCallArguments(request.arguments);
      if (!parsed.ok) return parsed;
      const context = Context.current();
      let result: ToolResult;
      try {
        const answer = await withSession(settings, (client) =>
          client.callTool({ name: request.tool, arguments: parsed.args }, undefined, {
            timeout: settings.timeoutMs,
            signal: context.cancellationSignal,
          }),
        );
        const text = resultText(answer);
        result = answer.isError ? { ok: false, error: text } : { ok: true, output: text };
      } catch (error) {
        if (!isToolLevel(error)) throw error;
        result = { ok: false, error: (error as Error).message };
      }
      await deps.events([toolEvent(request, result, started)]);
      return request.by_reference
        ? deps.store.byReference(request, stepKey('output'), result)
        : capped(result);
    },
  };
}

/** A server's result is not capped by the server: keep an inline one well inside a payload. */
const MAX_INLINE_RESULT_CHARS = 200_000;

function capped(result: ToolResult): ToolResult {
  if (!result.ok || result.output.length <= MAX_INLINE_RESULT_CHARS) return result;
  return {
    ok: true,
    output: `${result.output.slice(0, MAX_INLINE_RESULT_CHARS)}… [cut at ${MAX_INLINE_RESULT_CHARS} of ${result.output.length} characters]`,
  };
}

/** Errors the server answered with (bad arguments, unknown tool, its own timeout). */
function isToolLevel(error: unknown): boolean {
  return error instanceof McpError && error.code !== Number(ErrorCode.ConnectionClosed);
}

function pick(tools: Tool[], attachment: McpAttachment): Tool[] {
  if (!attachment.tools) return tools;
  return attachment.tools.map((name) => {
    const tool = tools.find((candidate) => candidate.name === name);
    if (!tool) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.toolUnavailable,
        nonRetryable: true,
        message: `MCP server '${attachment.server}' has no tool '${name}' (it offers: ${tools.map((t) => t.name).join(', ') || 'none'})`,
      });
    }
    return tool;
  });
}

/** LLM function names allow letters, digits, `_` and `-`, at most 64 characters. */
const functionName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);

function plannedMcpTool(tool: Tool, settings: McpServerSettings): PlannedTool {
  return {
    name: functionName(tool.name),
    description: tool.description ?? `${tool.name} (MCP server ${settings.name})`,
    parameters: { ...tool.inputSchema, type: 'object' },
    mcp: { server_id: settings.id, server: settings.name, tool: tool.name },
    timeout_seconds: settings.timeoutMs / 1000,
    // An MCP tool may have side effects (send, create, book): every call goes to the server.
    cache: false,
  };
}

/** The result's text content; other content is named, structured content shown as JSON. */
function resultText(result: Record<string, unknown>): string {
  const parts = (Array.isArray(result.content) ? result.content : []).map(
    (item: { type?: string; text?: string; resource?: { text?: string; uri?: string } }) => {
      if (item.type === 'text') return item.text ?? '';
      if (item.type === 'resource')
        return item.resource?.text ?? `[resource ${item.resource?.uri}]`;
      return `[${item.type ?? 'content'}]`;
    },
  );
  if (parts.length === 0 && result.structuredContent !== undefined) {
    return JSON.stringify(result.structuredContent);
  }
  return parts.join('\n');
}
