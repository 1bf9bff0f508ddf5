/**
 * Executions and their tasks. Rows are written by activities as the workflow runs, so they are
 * right even when the API was down; live detail comes from the workflow's progress query.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { EXECUTION_STATUSES } from '../../../plan/execution-state';
import type { TokenUsage } from '../../../llm/chat';
import type { LlmCallRecord } from '../../../plan/execution-state';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const EXECUTION_TRIGGERS = ['api', 'scheduled', 'mcp'] as const;
export type ExecutionTrigger = (typeof EXECUTION_TRIGGERS)[number];

export const ExecutionEntity = defineEntity({
  name: 'Execution',
  tableName: 'executions',
  indexes: [{ properties: ['groupId', 'createdAt'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    kind: p.enum(['crew', 'flow'] as const),
    /** The saved crew it ran, if it was one (inline crews have none). */
    crewId: p.uuid().nullable().index(),
    /** The saved flow it ran, if it was one. */
    flowId: p.uuid().nullable().index(),
    /** For a crew run as a flow step: the flow's execution and the step. */
    parentExecutionId: p.uuid().nullable().index(),
    stepId: p.string().length(200).nullable(),
    name: p.string().length(200),
    status: p.enum(EXECUTION_STATUSES).index(),
    /** What started it: the REST API, a schedule, or a tool call through the MCP server. */
    trigger: p.enum(EXECUTION_TRIGGERS).default('api'),
    /** The schedule that started it, for `scheduled` runs. */
    scheduleId: p.uuid().nullable().index(),
    inputs: p.json<Record<string, unknown>>(),
    /** The compiled plan the workflow runs, pinned at start. */
    plan: p.json<Record<string, unknown>>().lazy(),
    workflowId: p.string().length(200).unique(),
    output: p.text().nullable(),
    outputJson: p.json<unknown>().nullable(),
    error: p.text().nullable(),
    /** Something wrong that has not ended the run (e.g. its workflow task keeps failing). */
    warning: p.text().nullable(),
    usage: p.json<TokenUsage>().nullable(),
    /** A flow's live picture: its state and each step's status, kept by the flow workflow. */
    progress: p.json<Record<string, unknown>>().nullable(),
    createdBy: p.uuid(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    ...timestamps(),
  },
});

export const ExecutionTaskEntity = defineEntity({
  name: 'ExecutionTask',
  tableName: 'execution_tasks',
  uniques: [{ properties: ['executionId', 'taskKey'] }],
  properties: {
    id: uuidPrimaryKey(),
    executionId: p.uuid().index(),
    taskKey: p.string().length(200),
    position: p.integer(),
    name: p.string().length(200).nullable(),
    agent: p.string().length(200).nullable(),
    status: p.enum(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED'] as const),
    output: p.text().nullable(),
    outputJson: p.json<unknown>().nullable(),
    error: p.text().nullable(),
    usage: p.json<TokenUsage>(),
    llmCalls: p.json<LlmCallRecord[]>(),
    toolCalls: p.integer().default(0),
    delegations: p.integer().default(0),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    ...timestamps(),
  },
});

export type Execution = InferEntity<typeof ExecutionEntity>;
export type ExecutionTask = InferEntity<typeof ExecutionTaskEntity>;
