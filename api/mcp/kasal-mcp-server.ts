/**
 * Kasal's own MCP server: the group's saved crews as tools for other agents and IDEs.
 * `list_crews` shows them, `run_crew` starts one through the same ExecutionsService as
 * `POST /executions` (and by default waits for its answer), `get_execution` fetches a run.
 *
 * One server is built per HTTP request (stateless streamable HTTP), for the caller and group
 * that request authenticated as. Everything a tool cannot do comes back as a tool result with
 * `isError: true` and the reason, never as a transport failure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Request } from 'express';
import { z } from 'zod';
import {
  EXECUTION_STATUSES,
  FINAL_STATUSES,
  type ExecutionStatus,
} from '../../shared/plan/execution-state';
import { UuidSchema } from '../../shared/schemas/common.schema';
import { ExecutionEntity } from '../../shared/node/db/entities';
import type { Logger } from '../../shared/node/logger';
import type { AccessGuards } from '../http/endpoint';
import { toApiError } from '../http/error-handler';
import { notFound } from '../http/errors';
import type { AuthContext, GroupContext } from '../http/request-context';
import type { ExecutionsService } from '../services/executions.service';
import { findCrew, listCrews } from './crew-catalog';

const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_TIMEOUT_SECONDS = 3600;
/** Outputs of tasks before the last one are cut to this length; the final result never is. */
const TASK_OUTPUT_CHARS = 2000;
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 2000;
const PROGRESS_EVERY_MS = 5000;

export interface McpRequestContext {
  req: Request;
  auth: AuthContext;
  /** The group the request resolved to (`X-Group-Id` or the caller's personal group). */
  group: GroupContext;
  guards: AccessGuards;
  executions: ExecutionsService;
  logger: Logger;
}

const InputSchema = z.object({
  name: z.string(),
  required: z.boolean(),
  default: z.unknown().optional(),
});

const CrewSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  process: z.string(),
  agents: z.array(z.object({ role: z.string(), goal: z.string() })),
  tasks: z.array(
    z.object({
      name: z.string().nullable(),
      description: z.string(),
      agent: z.string().nullable(),
    }),
  ),
  inputs: z.array(InputSchema).describe('The {placeholders} to pass in run_crew `inputs`'),
  updated_at: z.string(),
});

const ExecutionResultShape = {
  execution_id: z.string(),
  kind: z.enum(['crew', 'flow']),
  name: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  finished: z.boolean().describe('True once the status is final'),
  result: z.string().nullable().describe('The final answer, once there is one'),
  output_json: z.unknown().optional().describe("The final task's structured output, if any"),
  error: z.string().nullable(),
  tasks: z.array(
    z.object({
      key: z.string(),
      name: z.string().nullable(),
      agent: z.string().nullable(),
      status: z.string(),
      output: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
  approvals: z
    .array(z.object({ id: z.string(), message: z.string() }))
    .describe('Human approvals the run is waiting for (given in Kasal, not here)'),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  message: z.string().describe('What this means and what to do next'),
};
type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type ExecutionResult = z.infer<z.ZodObject<typeof ExecutionResultShape>>;

export function createKasalMcpServer(context: McpRequestContext): McpServer {
  const server = new McpServer(
    { name: 'kasal', title: 'Kasal', version: '1.0.0' },
    {
      instructions:
        "Kasal runs AI agent crews. Call list_crews to see the group's crews and the inputs " +
        'each expects, then run_crew. A long run can be started with wait: false and fetched ' +
        'later with get_execution.',
    },
  );
  const safely = (extra: Extra, body: () => Promise<CallToolResult>) =>
    guarded(context, extra, body);

  server.registerTool(
    'list_crews',
    {
      title: 'List crews',
      description:
        "Lists the saved crews of the caller's Kasal group (newest first): id, name, " +
        'description, agents, tasks, and the {placeholder} inputs each crew expects ' +
        '(required ones have no default). Use an id or name from here with run_crew.',
      inputSchema: {
        query: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .optional()
          .describe('Only crews whose name contains this text (case-insensitive)'),
        limit: z.number().int().min(1).max(100).default(20).describe('At most this many crews'),
      },
      outputSchema: { crews: z.array(CrewSummarySchema), total: z.number().int() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ query, limit }, extra) =>
      safely(extra, async () => {
        const listed = await listCrews(context.req.em, context.group.id, { query, limit });
        const shown =
          listed.total > listed.crews.length
            ? ` (showing ${listed.crews.length}; narrow with query or raise limit)`
            : '';
        return {
          content: [
            {
              type: 'text',
              text: `${listed.total} crew(s)${shown}:\n${JSON.stringify(listed.crews, null, 2)}`,
            },
          ],
          structuredContent: listed,
        };
      }),
  );

  server.registerTool(
    'run_crew',
    {
      title: 'Run a crew',
      description:
        'Runs a saved Kasal crew (by crew_id or crew_name) with the given inputs as a durable ' +
        'execution. With wait (the default) it returns once the run has finished, with the ' +
        'final result, or when timeout_seconds pass; otherwise it returns the execution_id at ' +
        'once. Either way, get_execution fetches the run later. A run that ends without a ' +
        'result (failed, stopped, rejected) is reported as an error.',
      inputSchema: {
        crew_id: UuidSchema.optional().describe('The id of a saved crew (from list_crews)'),
        crew_name: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .optional()
          .describe('The exact name of a saved crew (case-insensitive); instead of crew_id'),
        inputs: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('Values for the crew\'s {placeholders}, e.g. {"topic": "solar power"}'),
        wait: z
          .boolean()
          .default(true)
          .describe('Wait for the run to finish (true) or return its execution_id at once'),
        timeout_seconds: z
          .number()
          .int()
          .min(1)
          .max(MAX_TIMEOUT_SECONDS)
          .default(DEFAULT_TIMEOUT_SECONDS)
          .describe('How long to wait before returning a still-running execution'),
      },
      outputSchema: ExecutionResultShape,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async (args, extra) =>
      safely(extra, async () => {
        if ((args.crew_id === undefined) === (args.crew_name === undefined)) {
          return toolError('Give exactly one of crew_id or crew_name');
        }
        const { req, auth, guards, executions } = context;
        const group = await guards.resolveGroup(req, auth, 'executions:run');
        const crew = await findCrew(req.em, group.id, { id: args.crew_id, name: args.crew_name });
        const started = await executions.start(
          req.em,
          group.id,
          auth.user.id,
          { crew_id: crew.id, inputs: args.inputs ?? {} },
          'mcp',
        );
        const id = started.execution_id;
        const progress = progressReporter(extra, id);
        await progress(started.status);
        if (args.wait) {
          const deadline = Date.now() + args.timeout_seconds * 1000;
          await waitForEnd(req.em, { id, groupId: group.id }, deadline, extra.signal, progress);
        }
        // A fresh EntityManager: this one still holds the row as it was when started.
        return executionResult(await executions.get(req.em.fork(), group.id, id), {
          failIfUnsuccessful: true,
        });
      }),
  );

  server.registerTool(
    'get_execution',
    {
      title: 'Get an execution',
      description:
        'Fetches a Kasal execution started by run_crew (or any run in the group): its status, ' +
        'the final result once completed, the error if it failed, and each task with its ' +
        'status and output.',
      inputSchema: { execution_id: UuidSchema.describe('The execution_id run_crew returned') },
      outputSchema: ExecutionResultShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ execution_id }, extra) =>
      safely(extra, async () =>
        executionResult(
          await context.executions.get(context.req.em, context.group.id, execution_id),
          { failIfUnsuccessful: false },
        ),
      ),
  );

  return server;
}

type Execution = Awaited<ReturnType<ExecutionsService['get']>>;

/** An execution as a tool result: readable text first, the same facts structured. */
function executionResult(
  execution: Execution,
  options: { failIfUnsuccessful: boolean },
): CallToolResult {
  const finished = FINAL_STATUSES.includes(execution.status);
  const last = execution.tasks.length - 1;
  const structured: ExecutionResult = {
    execution_id: execution.id,
    kind: execution.kind,
    name: execution.name,
    status: execution.status,
    finished,
    result: execution.result?.output ?? null,
    ...(execution.result?.output_json !== undefined && {
      output_json: execution.result.output_json,
    }),
    error: execution.error,
    tasks: execution.tasks.map((task, index) => ({
      key: task.key,
      name: task.name,
      agent: task.agent,
      status: task.status,
      output: task.output === null || index === last ? task.output : cut(task.output),
      error: task.error,
    })),
    approvals: execution.approvals.map(({ id, message }) => ({ id, message })),
    created_at: execution.created_at,
    finished_at: execution.finished_at,
    message: nextStep(execution.id, execution.status),
  };
  const lines = [
    `Execution ${structured.execution_id} of ${structured.kind} '${structured.name}': ${structured.status}`,
  ];
  if (structured.tasks.length > 0) {
    lines.push(`Tasks: ${structured.tasks.map((task) => `${task.key} ${task.status}`).join(', ')}`);
  }
  if (structured.error) lines.push(`Error: ${structured.error}`);
  for (const approval of structured.approvals) {
    lines.push(`Waiting for approval ${approval.id}: ${approval.message}`);
  }
  lines.push(structured.message);
  if (structured.result !== null) lines.push('', 'Result:', structured.result);
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    structuredContent: structured,
    ...(options.failIfUnsuccessful &&
      finished &&
      execution.status !== 'COMPLETED' && { isError: true }),
  };
}

function nextStep(id: string, status: ExecutionStatus): string {
  switch (status) {
    case 'COMPLETED':
      return 'The run completed.';
    case 'WAITING_FOR_APPROVAL':
      return `The run waits for a human approval in Kasal; call get_execution with execution_id '${id}' later.`;
    case 'PENDING':
    case 'RUNNING':
      return `The run is still going; call get_execution with execution_id '${id}' to fetch the result later.`;
    default:
      return `The run ended ${status} without a complete result.`;
  }
}

/**
 * Waits until the execution is final or waits for a human, the deadline passes or the caller
 * goes away. Reads the database row the workflow's activities keep up to date.
 */
async function waitForEnd(
  em: EntityManager,
  { id, groupId }: { id: string; groupId: string },
  deadline: number,
  signal: AbortSignal,
  onTick: (status: ExecutionStatus) => Promise<void>,
): Promise<void> {
  let delay = POLL_FIRST_MS;
  for (;;) {
    const row = await em.fork().findOne(ExecutionEntity, { id, groupId });
    if (!row) throw notFound('Execution', id);
    const remaining = deadline - Date.now();
    if (FINAL_STATUSES.includes(row.status) || row.status === 'WAITING_FOR_APPROVAL') return;
    if (remaining <= 0) return;
    await onTick(row.status);
    await sleep(Math.min(delay, remaining), undefined, { signal });
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
}

/**
 * `notifications/progress` while a run is waited for, when the client asked for them (a
 * `progressToken`): the first names the execution, so a client that gives up still knows it,
 * and later ones keep clients that reset their timeout on progress waiting.
 */
function progressReporter(extra: Extra, id: string) {
  const token = extra._meta?.progressToken;
  const startedAt = Date.now();
  let sent = -1;
  let lastAt = 0;
  return async (status: ExecutionStatus): Promise<void> => {
    if (token === undefined) return;
    const now = Date.now();
    if (sent >= 0 && now - lastAt < PROGRESS_EVERY_MS) return;
    const elapsed = Math.max(sent + 1, Math.floor((now - startedAt) / 1000));
    sent = elapsed;
    lastAt = now;
    await extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress: elapsed,
          message: `Execution ${id}: ${status} (${elapsed}s)`,
        },
      })
      .catch(() => undefined); // the stream may be gone; waiting goes on regardless
  };
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Runs a tool's body, turning the API's errors (not found, forbidden, invalid input, Temporal
 * unreachable) into error results with their message, and anything else into a generic one.
 */
async function guarded(
  context: McpRequestContext,
  extra: Extra,
  body: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (extra.signal.aborted) return toolError('The request was cancelled');
    const apiError = toApiError(error);
    if (apiError) return toolError(apiError.message);
    context.logger.error({ err: error, reqId: context.req.id }, 'MCP tool failed');
    const requestId = typeof context.req.id === 'string' ? context.req.id : 'unknown';
    return toolError(`Internal server error (request id ${requestId})`);
  }
}

function cut(text: string): string {
  return text.length > TASK_OUTPUT_CHARS
    ? `${text.slice(0, TASK_OUTPUT_CHARS - 1)}… (cut; ${text.length} characters)`
    : text;
}
