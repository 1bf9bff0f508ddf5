import { z } from 'zod';
import { EXECUTION_TRIGGERS } from '../../shared/node/db/entities/execution.entities';
import { EXECUTION_STATUSES } from '../../shared/plan/execution-state';
import { FLOW_STEP_STATUSES } from '../../shared/plan/flow-state';

const Usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  cost_usd: z
    .number()
    .optional()
    .describe('USD; given when every model involved has prices in its model config'),
});

export const ExecutionStartedSchema = z
  .object({
    execution_id: z.uuid(),
    status: z.enum(EXECUTION_STATUSES),
    workflow_id: z.string(),
    ignored_fields: z
      .array(z.string())
      .optional()
      .describe('Kasal fields this platform does not use'),
  })
  .meta({ id: 'ExecutionStarted' });

export const ExecutionTaskSchema = z
  .object({
    key: z.string(),
    name: z.string().nullable(),
    agent: z.string().nullable(),
    status: z.enum(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED']),
    output: z.string().nullable(),
    output_json: z.unknown().optional(),
    error: z.string().nullable(),
    usage: Usage,
    llm_calls: z.array(
      z.object({ step: z.string(), model: z.string(), usage: Usage, latency_ms: z.number() }),
    ),
    tool_calls: z.number().int(),
    delegations: z.number().int(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'ExecutionTask' });

export const ExecutionSummarySchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    kind: z.enum(['crew', 'flow']),
    name: z.string(),
    crew_id: z.uuid().nullable(),
    flow_id: z.uuid().nullable(),
    parent_execution_id: z
      .uuid()
      .nullable()
      .describe('For a crew run as a flow step: the flow execution'),
    step_id: z.string().nullable(),
    status: z.enum(EXECUTION_STATUSES),
    trigger: z.string(),
    trigger_type: z
      .enum(EXECUTION_TRIGGERS)
      .describe('What started it: an API call, a schedule (`schedule_id`), or an MCP tool call'),
    schedule_id: z.uuid().nullable().describe('The schedule that started it'),
    workflow_id: z.string(),
    error: z.string().nullable(),
    warning: z
      .string()
      .nullable()
      .describe('A problem that has not ended the run, e.g. its workflow task keeps failing'),
    usage: Usage.nullable(),
    created_by: z.uuid(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'ExecutionSummary' });

export const ExecutionSchema = ExecutionSummarySchema.extend({
  inputs: z.record(z.string(), z.unknown()),
  result: z
    .object({ output: z.string().nullable(), output_json: z.unknown().optional() })
    .nullable(),
  tasks: z.array(ExecutionTaskSchema),
  current_step: z.string().nullable().describe('While running: what the workflow is doing now'),
  stop_requested: z.boolean(),
  live: z.boolean().describe('true when the detail came from the running workflow'),
  web_ui_url: z.string().describe('This execution in the Temporal Web UI'),
  approvals: z
    .array(z.object({ id: z.uuid(), kind: z.string(), message: z.string() }))
    .describe('Approvals the execution is waiting for'),
  flow: z
    .object({
      state: z.record(z.string(), z.unknown()),
      steps: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          status: z
            .enum(FLOW_STEP_STATUSES)
            .describe('SKIPPED: no route that leads to the step was taken, so it will not run'),
          execution_id: z.uuid().optional(),
          runs: z.number().int(),
          output: z.string().optional(),
          error: z.string().optional(),
        }),
      ),
      routes: z.array(
        z.object({
          router: z.string(),
          route: z
            .string()
            .nullable()
            .describe('null: no condition held and the router has no default route'),
        }),
      ),
    })
    .nullable()
    .describe('For flows: state, each step (with its crew execution) and the routes taken'),
}).meta({ id: 'Execution' });

export const ExecutionListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(EXECUTION_STATUSES).optional(),
  crew_id: z.uuid().optional(),
  schedule_id: z.uuid().optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
});

export const StopRequestSchema = z
  .strictObject({
    force: z
      .boolean()
      .default(false)
      .describe(
        'false: finish the current step and keep partial results (STOPPED); true: cancel now (CANCELLED)',
      ),
    reason: z.string().max(1000).optional(),
  })
  .meta({ id: 'StopRequest' });
