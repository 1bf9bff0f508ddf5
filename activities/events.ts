/** Writes execution events once: a retried write with the same key changes nothing. */
import { Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/core';
import { ExecutionEventEntity } from '../shared/node/db/entities';

export interface NewEvent {
  key: string;
  executionId: string;
  groupId: string;
  type: string;
  taskKey?: string | undefined;
  parentKey?: string | undefined;
  title: string;
  data?: Record<string, unknown>;
  durationMs?: number;
  occurredAt?: Date;
}

export async function recordEvents(em: EntityManager, events: NewEvent[]): Promise<void> {
  for (const event of events) {
    await em.upsert(
      ExecutionEventEntity,
      {
        key: event.key,
        executionId: event.executionId,
        groupId: event.groupId,
        type: event.type,
        taskKey: event.taskKey ?? null,
        parentKey: event.parentKey ?? null,
        title: event.title.slice(0, 500),
        data: event.data ?? {},
        durationMs: event.durationMs ?? null,
        occurredAt: event.occurredAt ?? new Date(),
      },
      { onConflictFields: ['key'], onConflictAction: 'ignore' },
    );
  }
}

/** A key naming this activity's step: the same on every retry of the activity. */
export function stepKey(suffix: string): string {
  const { workflowExecution, activityId } = Context.current().info;
  return `${workflowExecution?.workflowId}:${workflowExecution?.runId}:${activityId}:${suffix}`;
}

/** The key of a task's `task_started` event: the parent of that task's steps. */
export function taskEventKey(executionId: string, taskKey: string): string {
  return `${executionId}:task:${taskKey}`;
}

/** The key of an execution's `crew_started` / `flow_started` event: the root of its trace. */
export function executionEventKey(executionId: string): string {
  return `${executionId}:started`;
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
