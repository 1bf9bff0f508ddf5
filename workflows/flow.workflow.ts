/**
 * The generic flow interpreter: runs a compiled FlowPlan. Start points run first; a step runs
 * when its listener fires (AND: all sources done, OR: the first, or a router's route). Each
 * step is a child crew workflow, so it shows as its own execution and can be retried alone.
 * Independent branches run in parallel; approval gates on edges wait for a person.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { Validator } from '@cfworker/json-schema';
import { fillCrewPlan, stepScope } from '../shared/compiler/fill-crew-plan';
import type { KasalFlowActivities } from '../shared/contracts/activities';
import { FAILURE_TYPES } from '../shared/errors';
import { evaluateExpression, isTruthy } from '../shared/flows/expression';
import { addUsage, NO_USAGE } from '../shared/llm/chat';
import type { CrewResult, HistoryLimits } from '../shared/plan/execution-state';
import type { FlowPlan, FlowRouterPlan, FlowStepPlan } from '../shared/plan/flow-plan';
import type { FlowProgress, FlowStepState } from '../shared/plan/flow-state';
import { SEARCH_ATTRIBUTE_KEYS } from '../shared/search-attributes';
import { PERSISTENCE_ACTIVITY } from './activity-options';
import { ApprovalDesk } from './approvals';
import { innermostMessage } from './failure-message';
import { crewWorkflow } from './crew.workflow';
import { persistence } from './crew-run';
import { stopSignal } from './definitions';
import { publishStatus } from './status';

export interface FlowWorkflowInput {
  executionId: string;
  groupId: string;
  plan: FlowPlan;
  /** When its crews continue as new. */
  history_limits?: HistoryLimits;
}

export interface FlowResult {
  status: 'COMPLETED' | 'STOPPED';
  output?: string;
  state: Record<string, unknown>;
  steps: Record<string, string>;
}

export const flowProgressQuery = defineQuery<FlowProgress>('flowProgress');

const flows = proxyActivities<KasalFlowActivities>(PERSISTENCE_ACTIVITY);

/** Ends a flow as REJECTED (a person said no, or an approval timed out with auto_reject). */
class FlowRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowRejected';
  }
}

export async function flowWorkflow(input: FlowWorkflowInput): Promise<FlowResult> {
  const { plan, executionId, groupId } = input;
  const state = JSON.parse(JSON.stringify(plan.state.initial)) as Record<string, unknown>;
  const progress: FlowProgress = {
    status: 'RUNNING',
    state,
    steps: plan.steps.map((step) => ({ id: step.id, name: step.name, status: 'PENDING', runs: 0 })),
    routes: [],
    approvals: [],
    usage: NO_USAGE,
    stop_requested: false,
  };
  const desk = new ApprovalDesk(
    { executionId, groupId },
    (waiting) => {
      progress.status = waiting ? 'WAITING_FOR_APPROVAL' : 'RUNNING';
      publishStatus(progress.status);
    },
    () => progress.stop_requested,
  );
  setHandler(flowProgressQuery, () => ({ ...progress, approvals: desk.waiting }));
  const runningChildren = new Set<string>();
  setHandler(stopSignal, (request) => {
    progress.stop_requested = true;
    // Steps in progress stop gracefully too: each finishes its current step.
    for (const childId of runningChildren) {
      // The child may have just finished: a failed signal is expected then.
      getExternalWorkflowHandle(childId)
        .signal(stopSignal, request)
        .catch(() => undefined);
    }
  });

  const outputs = new Map<string, CrewResult>();
  const stepOutputs = () =>
    Object.fromEntries([...outputs].map(([id, result]) => [id, result.output ?? '']));
  const taken = new Set<string>();
  const stepState = (id: string) => progress.steps.find((step) => step.id === id) as FlowStepState;
  const stepPlan = (id: string) => plan.steps.find((step) => step.id === id) as FlowStepPlan;
  const save = () =>
    flows.recordFlowProgress({ executionId, progress: { ...progress, approvals: desk.waiting } });

  const runCrew = async (step: FlowStepPlan, feedback?: string): Promise<CrewResult> => {
    const current = stepState(step.id);
    if (progress.stop_requested) throw new FlowStopped();
    current.runs += 1;
    current.status = 'RUNNING';
    const stepExecutionId = uuid4();
    current.execution_id = stepExecutionId;
    const filled = fillCrewPlan(step.crew, stepScope(step.defaults, state, step.inputs));
    const crew = feedback ? withFeedback(filled, feedback) : filled;
    const childId = `${workflowInfo().workflowId}-${step.id}-${current.runs}`;
    await flows.createStepExecution({
      id: stepExecutionId,
      parentExecutionId: executionId,
      groupId,
      stepId: step.id,
      name: `${plan.name} / ${step.name}`.slice(0, 200),
      ...(step.crew_id !== undefined && { crewId: step.crew_id }),
      workflowId: childId,
      plan: crew as unknown as Record<string, unknown>,
    });
    await save();
    runningChildren.add(childId);
    let result: CrewResult;
    try {
      result = await executeChild(crewWorkflow, {
        workflowId: childId,
        args: [
          {
            executionId: stepExecutionId,
            groupId,
            plan: crew,
            ...(input.history_limits && { history_limits: input.history_limits }),
          },
        ],
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.groupId, value: groupId },
          { key: SEARCH_ATTRIBUTE_KEYS.executionKind, value: 'crew' },
          { key: SEARCH_ATTRIBUTE_KEYS.trigger, value: 'flow' },
          ...(plan.flow_id ? [{ key: SEARCH_ATTRIBUTE_KEYS.flowId, value: plan.flow_id }] : []),
          ...(step.crew_id ? [{ key: SEARCH_ATTRIBUTE_KEYS.crewId, value: step.crew_id }] : []),
          { key: SEARCH_ATTRIBUTE_KEYS.name, value: step.name },
        ],
      });
    } catch (error) {
      current.status = isCancellation(error) ? 'STOPPED' : 'FAILED';
      if (current.status === 'FAILED') current.error = classify(error).message;
      throw error;
    } finally {
      runningChildren.delete(childId);
    }
    progress.usage = addUsage(progress.usage, result.usage);
    if (result.status === 'STOPPED') {
      current.status = 'STOPPED';
      throw new FlowStopped();
    }
    outputs.set(step.id, result);
    absorb(step, result);
    current.status = 'COMPLETED';
    if (result.output !== undefined) current.output = result.output;
    await save();
    return result;
  };

  /** A crew's structured output is merged into the state; `output_key` keeps its text too. */
  const absorb = (step: FlowStepPlan, result: CrewResult) => {
    const json = result.output_json;
    if (json !== null && typeof json === 'object' && !Array.isArray(json))
      Object.assign(state, json);
    if (step.output_key && result.output !== undefined) state[step.output_key] = result.output;
    if (plan.state.schema) {
      const check = new Validator(plan.state.schema, '2020-12', false).validate(state);
      if (!check.valid) {
        const reason = check.errors
          .slice(0, 3)
          .map((error) => `${error.instanceLocation}: ${error.error}`)
          .join('; ');
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.flowFailed,
          nonRetryable: true,
          message: `After step '${step.id}' the state no longer matches its schema (${reason})`,
        });
      }
    }
  };

  /** Approval gates on the edges into `step` from sources that are done. */
  const passGates = async (step: FlowStepPlan) => {
    for (const gate of plan.gates.filter(
      (candidate) => candidate.to === step.id && outputs.has(candidate.from),
    )) {
      for (;;) {
        stepState(step.id).status = 'WAITING_FOR_APPROVAL';
        await save();
        const outcome = await desk.request({
          kind: 'gate',
          gate_from: gate.from,
          gate_to: gate.to,
          message: gate.message,
          ...(outputs.get(gate.from)?.output !== undefined && {
            subject: outputs.get(gate.from)?.output,
          }),
          allowed_approvers: gate.allowed_approvers,
          require_comment: gate.require_comment,
          timeout_action: gate.timeout_action,
          ...(gate.timeout_seconds !== undefined && { timeout_seconds: gate.timeout_seconds }),
        });
        if (outcome.kind === 'approved') break;
        if (outcome.kind === 'stopped') throw new FlowStopped();
        if (outcome.kind === 'timed_out') {
          if (gate.timeout_action === 'fail') {
            throw ApplicationFailure.create({
              type: FAILURE_TYPES.flowFailed,
              nonRetryable: true,
              message: `The approval of '${gate.from}' → '${gate.to}' timed out`,
            });
          }
          throw new FlowRejected(
            `The approval of '${gate.from}' → '${gate.to}' timed out and was rejected`,
          );
        }
        if (outcome.action === 'reject') {
          throw new FlowRejected(
            `Rejected at '${gate.from}' → '${gate.to}'${outcome.comment ? `: ${outcome.comment}` : ''}`,
          );
        }
        // retry: the source step runs again with the reviewer's comment, then the gate asks again.
        await runCrew(stepPlan(gate.from), outcome.comment ?? 'Please revise your work.');
      }
    }
  };

  const chooseRoute = (router: FlowRouterPlan): string | undefined => {
    const scope: Record<string, unknown> = { ...state };
    for (const [id, result] of outputs) {
      const json = result.output_json;
      scope[id] = {
        ...(json !== null && typeof json === 'object' ? json : {}),
        output: result.output ?? null,
      };
    }
    const route = router.routes.find((candidate) =>
      isTruthy(evaluateExpression(candidate.expression, scope)),
    );
    return route?.name ?? router.default_route;
  };

  const ready = (step: FlowStepPlan): boolean => {
    const listen = step.listen;
    if (!listen) return false;
    if ('router' in listen) return taken.has(`${listen.router}/${listen.route}`);
    return listen.condition === 'AND'
      ? listen.to.every((source) => outputs.has(source))
      : listen.to.some((source) => outputs.has(source));
  };

  const scope = new CancellationScope();
  const started = new Set<string>();
  const finished: { id: string; error?: unknown }[] = [];
  let running = 0;
  const launch = (id: string) => {
    started.add(id);
    running += 1;
    const step = stepPlan(id);
    scope
      .run(async () => {
        await passGates(step);
        await runCrew(step);
      })
      .then(
        () => finished.push({ id }),
        (error: unknown) => finished.push({ id, error }),
      );
  };

  let last: CrewResult | undefined;
  try {
    await persistence.markExecutionRunning({ executionId });
    publishStatus('RUNNING');
    plan.start.forEach(launch);
    let failure: unknown;
    while (running > 0) {
      await condition(() => finished.length > 0);
      const done = finished.shift() as { id: string; error?: unknown };
      running -= 1;
      if (done.error instanceof FlowStopped) {
        // One step stopped: the others finish their current step too; nothing new starts.
        progress.stop_requested = true;
        continue;
      }
      if (done.error !== undefined) {
        // The first failure cancels the other branches; wait for them to record it.
        if (failure === undefined) {
          failure = done.error;
          scope.cancel();
        }
        continue;
      }
      if (failure !== undefined) continue;
      last = outputs.get(done.id) ?? last;
      for (const router of plan.routers.filter((candidate) => candidate.after === done.id)) {
        const route = chooseRoute(router);
        progress.routes.push({ router: router.id, route: route ?? null });
        if (route !== undefined) taken.add(`${router.id}/${route}`);
      }
      if (!progress.stop_requested) {
        for (const step of plan.steps) if (!started.has(step.id) && ready(step)) launch(step.id);
      }
    }
    if (failure !== undefined) throw failure as Error;
    const status = progress.stop_requested ? 'STOPPED' : 'COMPLETED';
    progress.status = status;
    publishStatus(status);
    await desk.drain();
    await save();
    await persistence.finishExecution({
      executionId,
      status,
      ...(last?.output !== undefined && { output: last.output }),
      output_json: state,
      usage: progress.usage,
    });
    return {
      status,
      ...(last?.output !== undefined && { output: last.output }),
      state,
      steps: stepOutputs(),
    };
  } catch (error) {
    const { status, message } = classify(error);
    progress.status = status;
    publishStatus(status);
    await CancellationScope.nonCancellable(async () => {
      // A force stop cancels the branches too: let them (and their crews) record it first.
      await condition(() => finished.length >= running);
      if (status !== 'CANCELLED') await desk.drain();
      await save();
      await persistence.finishExecution({
        executionId,
        status,
        error: message,
        output_json: state,
        usage: progress.usage,
      });
    });
    if (status === 'STOPPED') {
      return {
        status: 'STOPPED',
        state,
        steps: stepOutputs(),
      };
    }
    if (status === 'CANCELLED') throw error;
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.flowFailed,
      message,
      nonRetryable: true,
    });
  }
}

class FlowStopped extends Error {
  constructor() {
    super('The flow was stopped');
    this.name = 'FlowStopped';
  }
}

function classify(error: unknown): {
  status: 'REJECTED' | 'FAILED' | 'CANCELLED' | 'STOPPED';
  message: string;
} {
  if (error instanceof FlowRejected) return { status: 'REJECTED', message: error.message };
  if (error instanceof FlowStopped) return { status: 'STOPPED', message: error.message };
  if (isCancellation(error)) return { status: 'CANCELLED', message: 'Cancelled (force stop)' };
  return { status: 'FAILED', message: innermostMessage(error) };
}

/** A step run again after a rejection: its tasks carry the reviewer's feedback. */
function withFeedback(plan: FlowStepPlan['crew'], feedback: string): FlowStepPlan['crew'] {
  return {
    ...plan,
    tasks: plan.tasks.map((task) => ({
      ...task,
      description: `${task.description}\n\nA reviewer asked for changes: ${feedback}`,
    })),
  };
}
