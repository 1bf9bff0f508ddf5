/**
 * What happened in an execution, step by step, with Kasal's event names. The integer id orders
 * events across every worker and is what SSE clients resume from (`Last-Event-ID`); `key` is
 * chosen from the step itself, so a retried activity writes its event once.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ExecutionEventEntity = defineEntity({
  name: 'ExecutionEvent',
  tableName: 'execution_events',
  indexes: [{ properties: ['executionId', 'id'] }, { properties: ['groupId', 'id'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    key: p.string().length(300).unique(),
    executionId: p.uuid(),
    groupId: p.uuid(),
    type: p.string().length(64),
    /** The task it belongs to, if any. */
    taskKey: p.string().length(200).nullable(),
    /** The event it happened inside (crew → task → LLM or tool call). */
    parentKey: p.string().length(300).nullable(),
    title: p.string().length(500),
    data: p.json<Record<string, unknown>>(),
    durationMs: p.integer().nullable(),
    occurredAt: p.datetime(),
  },
});

export type ExecutionEvent = InferEntity<typeof ExecutionEventEntity>;
