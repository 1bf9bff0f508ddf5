/**
 * One built-in tool call = one activity. A tool's failure (a bad URL, a missing file) goes back
 * to the agent as an observation; a tool the group disabled or a missing required setting fails
 * the step clearly instead, since no retry or other wording can fix it.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FAILURE_TYPES } from '../shared/errors';
import type { ToolRequest, ToolResult } from '../shared/llm/chat';
import type { SecretBox } from '../shared/node/crypto/secret-box';
import type { Orm } from '../shared/node/db/orm';
import type { Logger } from '../shared/node/logger';
import { BUILTIN_TOOL_MAP, type BuiltinTool } from '../shared/tools/builtin-tools';
import type { NewEvent } from '../shared/node/db/execution-events';
import { stepKey, toolEvent } from './events';
import type { ExecutionStore } from '../shared/node/store/execution-store';
import {
  ToolConfigError,
  type ToolEnvironment,
  type ToolImplementation,
} from './tools/builtin-implementations';
import { loadGroupToolState } from './tools/group-tool-settings';
import { parseToolCallArguments, ToolInputError } from './tools/tool-error';

/** The tool's own time limit: the activity's, less room to record the result. */
const toolTimeoutMs = (activityTimeoutMs: number) =>
  Math.max(500, activityTimeoutMs - Math.min(2000, activityTimeoutMs / 5));

export function createToolActivities(deps: {
  orm: Orm;
  secrets: SecretBox;
  tools: ReadonlyMap<string, ToolImplementation>;
  environment: ToolEnvironment;
  logger: Logger;
  events: (events: NewEvent[]) => Promise<void>;
  store: ExecutionStore;
}) {
  return {
    async runTool(request: ToolRequest): Promise<ToolResult> {
      const started = performance.now();
      let result: ToolResult;
      try {
        result = await run(request);
      } catch (error) {
        if (!(error instanceof ToolConfigError)) throw error; // e.g. the database: retried
        const { message } = error;
        await deps.events([toolEvent(request, { ok: false, error: message }, started)]);
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.toolUnavailable,
          nonRetryable: true,
          message,
        });
      }
      await deps.events([toolEvent(request, result, started)]);
      return request.by_reference
        ? deps.store.byReference(request, stepKey('output'), result)
        : result;
    },
  };

  /** The call's outcome; throws when the tool cannot run at all in this group. */
  async function run(request: ToolRequest): Promise<ToolResult> {
    const tool = BUILTIN_TOOL_MAP.get(request.name);
    const implementation = tool && deps.tools.get(tool.name);
    if (!tool || !implementation) {
      return { ok: false, error: `there is no tool named '${request.name}'` };
    }
    const group = await loadGroupToolState(deps.orm, deps.secrets, request.groupId, tool.name);
    if (!group.enabled) {
      throw new ToolConfigError(`Tool '${tool.name}' is disabled in this group`);
    }
    const parsed = parseToolCallArguments(request.arguments);
    if (!parsed.ok) return parsed;
    const context = Context.current();
    try {
      const output = await implementation(parsed.args, {
        settings: {
          // The operator's keys go only to the tool's own service, never to a group's base_url.
          ...(request.config?.base_url === undefined &&
            environmentSettings(tool, deps.environment)),
          ...request.config,
          ...group.secrets,
        },
        timeoutMs: toolTimeoutMs(context.info.startToCloseTimeoutMs),
        signal: context.cancellationSignal,
      });
      return { ok: true, output };
    } catch (error) {
      if (error instanceof ToolConfigError) throw error;
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

/** The settings the operator's environment supplies for a tool (e.g. SERPER_API_KEY). */
function environmentSettings(tool: BuiltinTool, environment: ToolEnvironment) {
  return Object.fromEntries(
    Object.entries(tool.env ?? {}).flatMap(([key, variable]) => {
      const value = environment.variables[variable];
      return value ? [[key, value]] : [];
    }),
  );
}
