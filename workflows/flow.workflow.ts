/**
 * The generic flow interpreter: runs a compiled FlowPlan. Start points run first; a step runs
 * when its listener fires (AND: all sources done, OR: the first, or a router's route). Each
 * step is a child crew workflow, so it shows as its own execution and can be retried alone.
 * Independent branches run in parallel; approval gates on edges wait for a person.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { fillCrewPlan, stepScope } from '../shared/compiler/fill-crew-plan';
import type { FlowEvent, KasalFlowActivities } from '../shared/contracts/activities';
import { FAILURE_TYPES } from '../shared/errors';
import type { CrewResult } from '../shared/plan/execution-state';
import type { FlowStepPlan } from '../shared/plan/flow-plan';
import type { FlowProgress } from '../shared/plan/flow-state';
import { SEARCH_ATTRIBUTE_KEYS } from '../shared/search-attributes';
import { PERSISTENCE_ACTIVITY } from './activity-options';
import { ApprovalDesk } from './approvals';
import { innermostMessage } from './failure-message';
import { crewWorkflow } from './crew.workflow';
import { persistence } from './crew-run';
import { stopSignal } from './definitions';
import {
  FlowRejected,
  FlowRun,
  FlowStopped,
  type FlowResult,
  type FlowWorkflowInput,
  type NoMatch,
} from './flow-run';
import { historyFull } from './history-budget';
import { PATCHES } from './patches';
import { publishStatus } from './status';
import { versioningBehavior } from './versioning';

export type { FlowResult, FlowWorkflowInput };

export const flowProgressQuery = defineQuery<FlowProgress>('flowProgress');

const flows = proxyActivities<KasalFlowActivities>(PERSISTENCE_ACTIVITY);

export async function flowWorkflow(input: FlowWorkflowInput): Promise<FlowResult> {
  const { plan, executionId, groupId } = input;
  const run = new FlowRun(input);
  const { progress, state } = run;
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

  const save = (events?: FlowEvent[]) =>
    flows.recordFlowProgress({
      executionId,
      progress: { ...progress, approvals: desk.waiting },
      ...(events && { events }),
    });

  const runCrew = async (step: FlowStepPlan, feedback?: string): Promise<CrewResult> => {
    const current = run.step(step.id);
    if (progress.stop_requested) throw new FlowStopped();
    current.runs += 1;
    current.status = 'RUNNING';
    const stepExecutionId = uuid4();
    current.execution_id = stepExecutionId;
    const filled = fillCrewPlan(step.crew, stepScope(step.defaults, state, step.inputs));
    const crew = feedback ? withFeedback(filled, feedback) : filled;
    // The workflow id and the run counts outlive continue-as-new: a child id never repeats.
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
    run.addUsage(result.usage);
    if (result.status === 'STOPPED') {
      current.status = 'STOPPED';
      throw new FlowStopped();
    }
    run.complete(step, result);
    await save();
    return result;
  };

  /** Approval gates on the edges into `step` from sources that are done. */
  const passGates = async (step: FlowStepPlan) => {
    for (const gate of plan.gates.filter(
      (candidate) => candidate.to === step.id && run.outcomes.has(candidate.from),
    )) {
      for (;;) {
        run.step(step.id).status = 'WAITING_FOR_APPROVAL';
        await save();
        const subject = run.outcomes.get(gate.from)?.output;
        const outcome = await desk.request({
          kind: 'gate',
          gate_from: gate.from,
          gate_to: gate.to,
          message: gate.message,
          ...(subject !== undefined && { subject }),
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
        await runCrew(run.stepPlan(gate.from), outcome.comment ?? 'Please revise your work.');
      }
    }
  };

  const scope = new CancellationScope();
  const finished: { id: string; error?: unknown }[] = [];
  let running = 0;
  const launch = (id: string) => {
    run.started.add(id);
    running += 1;
    const step = run.stepPlan(id);
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

  let continuation: FlowWorkflowInput | undefined;
  try {
    if (input.resume) {
      input.resume.next.forEach(launch);
    } else {
      await persistence.markExecutionRunning({ executionId });
      publishStatus('RUNNING');
      plan.start.forEach(launch);
    }
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
      if (run.outcomes.has(done.id)) run.last = done.id;
      const routed = plan.routers.some((router) => router.after === done.id);
      let unmatched: NoMatch[];
      try {
        unmatched = run.route(done.id, routed && patched(PATCHES.routerOutcomes));
      } catch (error) {
        // A condition that cannot be evaluated fails the flow like a failed step.
        failure = error;
        scope.cancel();
        continue;
      }
      if (unmatched.length > 0) {
        await save(unmatched.map(noMatchEvent));
        const failing = unmatched.find((item) => item.on_no_route === 'fail');
        if (failing) {
          failure = ApplicationFailure.create({
            type: FAILURE_TYPES.flowFailed,
            nonRetryable: true,
            message: `router '${failing.router}' after step '${failing.after}': no condition matched and it has no default route (on_no_route: fail)`,
          });
          scope.cancel();
          continue;
        }
      }
      if (!progress.stop_requested) {
        const next = run.ready();
        // Nothing in flight: the state is all in `run`, small enough to carry to a new run.
        if (running === 0 && next.length > 0 && historyFull(input.history_limits)) {
          continuation = run.continuation(next);
          break;
        }
        next.forEach(launch);
      }
    }
    if (failure !== undefined) throw failure as Error;
    if (continuation === undefined) {
      const status = progress.stop_requested ? 'STOPPED' : 'COMPLETED';
      const last = run.last === undefined ? undefined : run.outcomes.get(run.last);
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
        steps: run.stepOutputs(),
      };
    }
    await desk.drain();
    await condition(allHandlersFinished);
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
        steps: run.stepOutputs(),
      };
    }
    if (status === 'CANCELLED') throw error;
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.flowFailed,
      message,
      nonRetryable: true,
    });
  }
  return await continueAsNew<typeof flowWorkflow>(continuation);
}

// With worker versioning, flows (which may wait days for a person) follow the current version;
// their changes are patched (see workflows/patches.ts).
setWorkflowOptions(versioningBehavior('AUTO_UPGRADE'), flowWorkflow);

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

/** The `router_no_match` event: which router, what its conditions read, what was skipped. */
function noMatchEvent(item: NoMatch): FlowEvent {
  return {
    key: `router:${item.router}:no_match`,
    type: 'router_no_match',
    title: `Router '${item.router}' after step '${item.after}': no condition matched; the flow ${item.on_no_route === 'fail' ? 'fails' : 'goes on without it'}`,
    data: { ...item },
  };
}
