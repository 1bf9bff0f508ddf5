/** Writes execution events once: a retried write with the same key changes nothing. */
import type { EntityManager } from '@mikro-orm/core';
import { ExecutionEventEntity } from './entities';

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

/** The key of a task's `task_started` event: the parent of that task's steps. */
export function taskEventKey(executionId: string, taskKey: string): string {
  return `${executionId}:task:${taskKey}`;
}

/** The key of an execution's `crew_started` / `flow_started` event: the root of its trace. */
export function executionEventKey(executionId: string): string {
  return `${executionId}:started`;
}
