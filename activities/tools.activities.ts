/**
 * One tool call = one activity. Tools are looked up by name; a tool's failure is returned to
 * the agent as an observation, so a bad URL or a missing file never crashes a run.
 */
import type { ToolRequest, ToolResult } from '../shared/llm/chat';
import { FETCH_URL_TOOL, READ_FILE_TOOL } from '../shared/tools/builtin-tools';
import type { Logger } from '../shared/node/logger';
import { fetchUrl } from './tools/fetch-url.tool';
import { readFile } from './tools/read-file.tool';
import { ToolInputError } from './tools/tool-error';
import { stepKey, taskEventKey, type NewEvent } from './events';

export type ToolImplementation = (args: unknown) => Promise<string>;

export interface ToolSettings {
  fileRoot?: string;
  allowPrivateNetworks: boolean;
}

/** The built-in tools, by name, with their settings applied. */
export function builtinToolImplementations(
  settings: ToolSettings,
): Map<string, ToolImplementation> {
  return new Map<string, ToolImplementation>([
    [
      FETCH_URL_TOOL.name,
      (args) =>
        fetchUrl(args, {
          allowPrivateNetworks: settings.allowPrivateNetworks,
          timeoutMs: 30_000,
          maxBytes: 5_000_000,
        }),
    ],
    [
      READ_FILE_TOOL.name,
      (args) => readFile(args, { root: settings.fileRoot, maxBytes: 5_000_000 }),
    ],
  ]);
}

export function createToolActivities(deps: {
  tools: ReadonlyMap<string, ToolImplementation>;
  logger: Logger;
  events: (events: NewEvent[]) => Promise<void>;
}) {
  return {
    async runTool(request: ToolRequest): Promise<ToolResult> {
      const started = performance.now();
      const result = await run(request);
      await deps.events([
        {
          key: stepKey('tool'),
          executionId: request.executionId,
          groupId: request.groupId,
          taskKey: request.taskKey,
          ...(request.taskKey !== undefined && {
            parentKey: taskEventKey(request.executionId, request.taskKey),
          }),
          type: result.ok ? 'tool_usage' : 'tool_error',
          title: `${result.ok ? 'Tool' : 'Tool error'}: ${request.name}`,
          data: {
            tool: request.name,
            arguments: request.arguments,
            ...(result.ok ? { result: result.output.slice(0, 20_000) } : { error: result.error }),
          },
          durationMs: Math.round(performance.now() - started),
        },
      ]);
      return result;
    },
  };

  async function run(request: ToolRequest): Promise<ToolResult> {
    const tool = deps.tools.get(request.name);
    if (!tool) return { ok: false, error: `there is no tool named '${request.name}'` };
    let args: unknown;
    try {
      args = JSON.parse(request.arguments || '{}');
    } catch {
      return {
        ok: false,
        error: `the arguments are not valid JSON: ${request.arguments.slice(0, 200)}`,
      };
    }
    try {
      return { ok: true, output: await tool(args) };
    } catch (error) {
      if (!(error instanceof ToolInputError)) {
        deps.logger.warn(
          { err: error, tool: request.name, executionId: request.executionId },
          'tool failed',
        );
      }
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
