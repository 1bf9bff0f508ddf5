/** Keys and shapes of the events activity steps write (see shared/node/db/execution-events). */
import { Context } from '@temporalio/activity';
import { taskEventKey, type NewEvent } from '../shared/node/db/execution-events';

/** A key naming this activity's step: the same on every retry of the activity. */
export function stepKey(suffix: string): string {
  const { workflowExecution, activityId } = Context.current().info;
  return `${workflowExecution?.workflowId}:${workflowExecution?.runId}:${activityId}:${suffix}`;
}

/** A tool call's `tool_usage` (or `tool_error`) event, with its arguments and result. */
export function toolEvent(
  request: {
    executionId: string;
    groupId: string;
    taskKey?: string | undefined;
    name: string;
    arguments: string;
    server?: string;
  },
  result: { ok: true; output: string } | { ok: false; error: string },
  started: number,
): NewEvent {
  return {
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
      ...(request.server !== undefined && { mcp_server: request.server }),
      arguments: request.arguments,
      ...(result.ok ? { result: result.output.slice(0, 20_000) } : { error: result.error }),
    },
    durationMs: Math.round(performance.now() - started),
  };
}
