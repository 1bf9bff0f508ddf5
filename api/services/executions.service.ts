/**
 * Starting, reading and stopping executions. The API compiles the crew and starts its
 * workflow; everything after that is written by the workflow's activities.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { compileCrew } from '../../shared/compiler/compile-crew';
import { compileFlow } from '../../shared/compiler/compile-flow';
import { crewFromKasalYaml, kasalPath } from '../../shared/compiler/kasal-yaml';
import { API_ERROR_CODES } from '../../shared/errors';
import type { CrewPlan } from '../../shared/plan/crew-plan';
import type { FlowPlan } from '../../shared/plan/flow-plan';
import type { FlowProgress } from '../../shared/plan/flow-state';
import type { FlowSpec } from '../../shared/schemas/flow.schema';
import {
  FINAL_STATUSES,
  type ExecutionProgress,
  type HistoryLimits,
  type TaskState,
} from '../../shared/plan/execution-state';
import { CrewSpecSchema, type CrewSpec } from '../../shared/schemas/crew.schema';
import type { ExecutionRequest } from '../../shared/schemas/execution.schema';
import { newExecutionSearchAttributes } from '../../shared/search-attributes';
import {
  CrewEntity,
  ExecutionEntity,
  ExecutionTaskEntity,
  FlowEntity,
  type Execution,
  type ExecutionTask,
  type ExecutionTrigger,
} from '../../shared/node/db/entities';
import { compileOptions } from '../../shared/node/definitions/compile-saved';
import {
  savedDefinitions,
  savedFlowDefinitions,
} from '../../shared/node/definitions/saved-definitions';
import type { Logger } from '../../shared/node/logger';
import { zodFieldIssues } from '../http/error-handler';
import { ApiError, conflict, notFound, validationError } from '../http/errors';
import { payloadBytes } from '../../shared/node/temporal/start-payload';
import type { ExecutionReconciler } from './execution-reconciler';
import { assertStartFits } from './start-size';
import { iso } from './serialize';

const QUERY_TIMEOUT_MS = 3000;

export interface ExecutionsDeps {
  temporal: Client;
  /** Where the Temporal Web UI shows this namespace's workflows. */
  webUi: { url: string; namespace: string };
  taskQueue: string;
  /** When runs continue as new; travels with each run. */
  historyLimits: HistoryLimits;
  /** Repairs the row of an execution whose workflow no longer answers. */
  reconciler?: ExecutionReconciler;
  defaultModel: string;
  /** The largest start of a run (KASAL_MAX_START_PAYLOAD_BYTES). */
  maxStartPayloadBytes: number;
  logger: Logger;
}

interface CrewSource {
  crew: CrewSpec;
  crewId?: string;
  ignored?: string[];
  /** Turns a compiler path into the request's own (`tasks[0]` → `crew.tasks[0]`). */
  path(path: string): string;
}

/** The workflow that runs each kind of execution (names recorded in history). */
const WORKFLOW_TYPES = { crew: 'crewWorkflow', flow: 'flowWorkflow' } as const;

export class ExecutionsService {
  constructor(private readonly deps: ExecutionsDeps) {}

  async start(
    em: EntityManager,
    groupId: string,
    userId: string,
    request: ExecutionRequest,
    /** What started it, recorded on the execution and as `KasalTrigger`. */
    trigger: ExecutionTrigger = 'api',
  ) {
    if (request.flow_id !== undefined || request.flow !== undefined) {
      return this.startFlow(em, groupId, userId, request, trigger);
    }
    const source = await this.source(em, groupId, request);
    const saved = await savedDefinitions(em, groupId, [source.crew]);
    const compiled = compileCrew(source.crew, saved, {
      ...(await this.compileOptions(em, groupId, request.inputs)),
      ...(source.crewId !== undefined && { crewId: source.crewId }),
    });
    if (!compiled.ok) {
      throw validationError(
        'crew',
        compiled.issues.map((issue) => ({ ...issue, path: source.path(issue.path) })),
      );
    }
    const execution = await this.launch(em, {
      groupId,
      userId,
      kind: 'crew',
      name: compiled.plan.name,
      inputs: compiled.plan.inputs,
      plan: compiled.plan,
      crewId: source.crewId,
      trigger,
    });
    return {
      execution_id: execution.id,
      status: execution.status,
      workflow_id: execution.workflowId,
      ...(source.ignored?.length && { ignored_fields: source.ignored }),
    };
  }

  private async startFlow(
    em: EntityManager,
    groupId: string,
    userId: string,
    request: ExecutionRequest,
    trigger: ExecutionTrigger,
  ) {
    let flow = request.flow;
    if (request.flow_id !== undefined) {
      const row = await em.findOne(FlowEntity, { id: request.flow_id, groupId });
      if (!row) {
        throw validationError('request', [
          { path: 'flow_id', message: `flow '${request.flow_id}' not found in this group` },
        ]);
      }
      flow = row.spec as unknown as FlowSpec;
    }
    const spec = flow as FlowSpec;
    const compiled = compileFlow(spec, await savedFlowDefinitions(em, groupId, spec), {
      ...(await this.compileOptions(em, groupId, request.inputs)),
      ...(request.flow_id !== undefined && { flowId: request.flow_id }),
    });
    if (!compiled.ok) {
      throw validationError(
        'flow',
        compiled.issues.map((issue) => ({ ...issue, path: `flow.${issue.path}` })),
      );
    }
    const execution = await this.launch(em, {
      groupId,
      userId,
      kind: 'flow',
      name: compiled.plan.name,
      inputs: request.inputs,
      plan: compiled.plan,
      flowId: request.flow_id,
      trigger,
    });
    return {
      execution_id: execution.id,
      status: execution.status,
      workflow_id: execution.workflowId,
    };
  }

  private compileOptions(em: EntityManager, groupId: string, inputs: Record<string, unknown>) {
    return compileOptions(em, groupId, inputs, this.deps.defaultModel);
  }

  /**
   * Writes the execution row, then starts its workflow. A run too large to start is refused
   * before the row is written; a failed start marks the row FAILED.
   */
  private async launch(
    em: EntityManager,
    run: {
      groupId: string;
      userId: string;
      kind: 'crew' | 'flow';
      name: string;
      inputs: Record<string, unknown>;
      plan: CrewPlan | FlowPlan;
      crewId?: string | undefined;
      flowId?: string | undefined;
      trigger: ExecutionTrigger;
    },
  ): Promise<Execution> {
    const id = randomUUID();
    const args = {
      executionId: id,
      groupId: run.groupId,
      plan: run.plan,
      history_limits: this.deps.historyLimits,
    };
    assertStartFits('The run', args, this.deps.maxStartPayloadBytes);
    const execution = em.create(ExecutionEntity, {
      id,
      groupId: run.groupId,
      kind: run.kind,
      crewId: run.crewId ?? null,
      flowId: run.flowId ?? null,
      name: run.name,
      status: 'PENDING',
      trigger: run.trigger,
      inputs: run.inputs,
      plan: run.plan,
      workflowId: `kasal-${run.kind}-${id}`,
      outputJson: null,
      createdBy: run.userId,
    });
    await em.flush();
    try {
      await this.deps.temporal.workflow.start(WORKFLOW_TYPES[run.kind], {
        taskQueue: this.deps.taskQueue,
        workflowId: execution.workflowId,
        args: [args],
        typedSearchAttributes: newExecutionSearchAttributes(execution),
        memo: { name: execution.name },
        staticSummary: `${run.kind === 'flow' ? 'Flow' : 'Crew'} · ${execution.name}`,
        staticDetails: `Kasal execution \`${execution.id}\` in group \`${execution.groupId}\``,
      });
    } catch (error) {
      if (isBlobSizeRefusal(error)) {
        // Temporal's own limit is lower than ours: the run never existed.
        await em.nativeDelete(ExecutionEntity, { id });
        throw new ApiError(
          413,
          API_ERROR_CODES.payloadTooLarge,
          `The run is too large to start: Temporal refused its plan with its inputs ` +
            `(${payloadBytes(args).toLocaleString('en-US')} bytes) as larger than its blob ` +
            `size limit; lower KASAL_MAX_START_PAYLOAD_BYTES below the server's ` +
            `limit.blobSize.error, or shorten the inputs`,
        );
      }
      // Nothing half-done: the row says the start failed, and the caller is told why.
      execution.status = 'FAILED';
      execution.error = 'The workflow could not be started: Temporal is unreachable';
      execution.finishedAt = new Date();
      await em.flush();
      throw unavailable(error, this.deps.logger);
    }
    return execution;
  }

  async get(em: EntityManager, groupId: string, id: string) {
    let execution = await this.find(em, groupId, id);
    let live: unknown;
    if (!FINAL_STATUSES.includes(execution.status)) {
      live = await this.query(execution, execution.kind === 'flow' ? 'flowProgress' : 'progress');
      // No answer: the workflow may be gone without a word (terminated, say); the row says so now.
      if (live === undefined && (await this.deps.reconciler?.check(em, execution))) {
        execution = await this.find(em.fork(), groupId, id);
      }
    }
    const result =
      execution.output !== null && execution.output !== undefined
        ? {
            output: execution.output,
            ...(execution.outputJson != null && { output_json: execution.outputJson }),
          }
        : null;
    const common = {
      ...serializeExecution(execution),
      inputs: execution.inputs,
      result,
      web_ui_url: `${this.deps.webUi.url}/namespaces/${encodeURIComponent(this.deps.webUi.namespace)}/workflows/${encodeURIComponent(execution.workflowId)}`,
    };

    if (execution.kind === 'flow') {
      const flowLive = live as FlowProgress | undefined;
      const progress = flowLive ?? (execution.progress as FlowProgress | null | undefined);
      return {
        ...common,
        tasks: [],
        current_step: null,
        stop_requested: progress?.stop_requested ?? false,
        live: flowLive !== undefined,
        approvals: flowLive?.approvals ?? [],
        flow: progress
          ? { state: progress.state, steps: progress.steps, routes: progress.routes }
          : null,
        ...(flowLive && { usage: flowLive.usage }),
      };
    }

    const rows = await em.find(
      ExecutionTaskEntity,
      { executionId: id },
      { orderBy: { position: 'asc' } },
    );
    const progress = live as ExecutionProgress | undefined;
    // A scheduled run that could not be prepared has no plan.
    const plan = execution.plan as unknown as Partial<CrewPlan>;
    const byKey = new Map(rows.map((row) => [row.taskKey, serializeTaskState(taskStateOf(row))]));
    const rowOf = new Map(rows.map((row) => [row.taskKey, row]));
    const tasks = progress
      ? progress.tasks.map((task) =>
          serializeTaskState(withStoredOutput(task, rowOf.get(task.key))),
        )
      : (plan.tasks ?? []).map(
          (task) => byKey.get(task.key) ?? pendingTask(task.key, task.name, task.agent),
        );
    return {
      ...common,
      tasks,
      current_step: progress?.current_step ?? null,
      stop_requested: progress?.stop_requested ?? false,
      live: progress !== undefined,
      approvals: progress?.approvals ?? [],
      flow: null,
      ...(progress && { usage: progress.usage }),
    };
  }

  async list(
    em: EntityManager,
    groupId: string,
    query: {
      limit: number;
      offset: number;
      status?: string | undefined;
      crew_id?: string | undefined;
      schedule_id?: string | undefined;
      created_after?: string | undefined;
      created_before?: string | undefined;
    },
  ) {
    const createdAt = {
      ...(query.created_after && { $gte: new Date(query.created_after) }),
      ...(query.created_before && { $lt: new Date(query.created_before) }),
    };
    const [rows, total] = await em.findAndCount(
      ExecutionEntity,
      {
        groupId,
        ...(query.status && { status: query.status as Execution['status'] }),
        ...(query.crew_id && { crewId: query.crew_id }),
        ...(query.schedule_id && { scheduleId: query.schedule_id }),
        ...(Object.keys(createdAt).length > 0 && { createdAt }),
      },
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset },
    );
    return { items: rows.map(serializeExecution), total, limit: query.limit, offset: query.offset };
  }

  async stop(em: EntityManager, groupId: string, id: string, force: boolean, reason?: string) {
    const execution = await this.find(em, groupId, id);
    if (FINAL_STATUSES.includes(execution.status)) {
      throw conflict(`The execution has already finished (${execution.status})`);
    }
    const handle = this.deps.temporal.workflow.getHandle(execution.workflowId);
    try {
      if (force) await handle.cancel();
      else await handle.signal('stop', { ...(reason !== undefined && { reason }) });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw conflict('The execution is no longer running');
      throw unavailable(error, this.deps.logger);
    }
    return {
      execution_id: id,
      status: execution.status,
      stop: force ? ('forced' as const) : ('requested' as const),
    };
  }

  private async source(
    em: EntityManager,
    groupId: string,
    request: ExecutionRequest,
  ): Promise<CrewSource> {
    if (request.crew_id !== undefined) {
      const row = await em.findOne(CrewEntity, { id: request.crew_id, groupId });
      if (!row) {
        throw validationError('request', [
          { path: 'crew_id', message: `crew '${request.crew_id}' not found in this group` },
        ]);
      }
      return {
        crew: row.spec as unknown as CrewSpec,
        crewId: row.id,
        path: (path) => `crew.${path}`,
      };
    }
    if (request.crew !== undefined) return { crew: request.crew, path: (path) => `crew.${path}` };
    const kasal = {
      agents_yaml: request.agents_yaml ?? {},
      tasks_yaml: request.tasks_yaml ?? {},
      name: request.name,
      process: request.process,
      manager_llm: request.manager_llm,
      planning: request.planning,
      planning_llm: request.planning_llm,
      max_rpm: request.max_rpm,
    };
    const converted = crewFromKasalYaml(kasal);
    const parsed = CrewSpecSchema.safeParse(converted.crew);
    if (!parsed.success) {
      throw validationError(
        'crew',
        zodFieldIssues(parsed.error).map((issue) => ({
          ...issue,
          path: kasalPath(issue.path, kasal),
        })),
      );
    }
    return {
      crew: parsed.data,
      ignored: converted.ignored,
      path: (path) => kasalPath(path, kasal),
    };
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<Execution> {
    const execution = await em.findOne(ExecutionEntity, { id, groupId }, { populate: ['plan'] });
    if (!execution) throw notFound('Execution', id);
    return execution;
  }

  /** A running workflow's live picture; undefined when it cannot answer right now. */
  private async query<T>(execution: Execution, name: string): Promise<T | undefined> {
    try {
      const handle = this.deps.temporal.workflow.getHandle(execution.workflowId);
      return await this.deps.temporal.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        handle.query<T>(name),
      );
    } catch (error) {
      // No worker, or the workflow has just finished: the database record is the answer.
      this.deps.logger.debug({ err: error, executionId: execution.id }, `${name} query failed`);
      return undefined;
    }
  }
}

/** Temporal's answer to a payload over its blob limit (gRPC INVALID_ARGUMENT). */
function isBlobSizeRefusal(error: unknown): boolean {
  for (let at: unknown = error; at instanceof Error; at = at.cause) {
    if (/blob data size exceeds limit/i.test(at.message)) return true;
  }
  return false;
}

function unavailable(error: unknown, logger: Logger): ApiError {
  logger.error({ err: error }, 'Temporal call failed');
  return new ApiError(
    503,
    API_ERROR_CODES.unavailable,
    'The workflow service (Temporal) is unreachable; try again shortly',
  );
}

export function serializeExecution(execution: Execution) {
  return {
    id: execution.id,
    group_id: execution.groupId,
    kind: execution.kind,
    name: execution.name,
    crew_id: execution.crewId ?? null,
    flow_id: execution.flowId ?? null,
    parent_execution_id: execution.parentExecutionId ?? null,
    step_id: execution.stepId ?? null,
    status: execution.status,
    trigger: execution.trigger,
    trigger_type: execution.trigger,
    schedule_id: execution.scheduleId ?? null,
    workflow_id: execution.workflowId,
    error: execution.error ?? null,
    warning: execution.warning ?? null,
    usage: execution.usage ?? null,
    created_by: execution.createdBy,
    created_at: iso(execution.createdAt),
    started_at: iso(execution.startedAt),
    finished_at: iso(execution.finishedAt),
  };
}

function serializeTaskState(task: TaskState) {
  return {
    key: task.key,
    name: task.name ?? null,
    agent: task.agent ?? null,
    status: task.status,
    output: task.output ?? null,
    ...(task.output_json !== undefined && { output_json: task.output_json }),
    error: task.error ?? null,
    usage: task.usage,
    llm_calls: task.llm_calls,
    tool_calls: task.tool_calls,
    delegations: task.delegations,
    started_at: task.started_at ?? null,
    finished_at: task.finished_at ?? null,
  };
}

/** A stored task row in the shape the workflow reports, so both serialise alike. */
function taskStateOf(row: ExecutionTask): TaskState {
  return {
    key: row.taskKey,
    ...(row.name != null && { name: row.name }),
    ...(row.agent != null && { agent: row.agent }),
    status: row.status,
    ...(row.output != null && { output: row.output }),
    ...(row.outputJson != null && { output_json: row.outputJson }),
    ...(row.error != null && { error: row.error }),
    usage: row.usage,
    llm_calls: row.llmCalls,
    tool_calls: row.toolCalls,
    delegations: row.delegations,
    ...(row.startedAt != null && { started_at: iso(row.startedAt) }),
    ...(row.finishedAt != null && { finished_at: iso(row.finishedAt) }),
  };
}

/**
 * A run that continued as new reports earlier tasks without their outputs and LLM calls: their
 * rows have them.
 */
function withStoredOutput(task: TaskState, row: ExecutionTask | undefined): TaskState {
  if (task.output !== undefined || row?.output == null) return task;
  return {
    ...task,
    output: row.output,
    ...(row.outputJson != null && { output_json: row.outputJson }),
    llm_calls: row.llmCalls,
  };
}

function pendingTask(key: string, name?: string, agent?: string) {
  return serializeTaskState({
    key,
    ...(name !== undefined && { name }),
    ...(agent !== undefined && { agent }),
    status: 'PENDING',
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    llm_calls: [],
    tool_calls: 0,
    delegations: 0,
  });
}
