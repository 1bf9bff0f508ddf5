/**
 * The generic crew interpreter: runs a compiled CrewPlan. Sequential crews run their tasks in
 * order (asynchronous ones alongside, until a task needs them); hierarchical crews give every
 * task to a manager who delegates. Every LLM and tool call is an activity.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  setHandler,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { taskOutputKey, type MessageText } from '../shared/llm/chat';
import type { AgentPlan, TaskPlan } from '../shared/plan/crew-plan';
import type { CrewResult } from '../shared/plan/execution-state';
import { runAgent, TASK_FAILED, type AgentAnswer } from './agent-loop';
import {
  CrewRun,
  ExecutionRejected,
  ExecutionStopped,
  persistence,
  type CrewWorkflowInput,
} from './crew-run';
import { progressQuery, stopSignal } from './definitions';
import { innermostMessage } from './failure-message';
import { historyFull, newVersionAvailable } from './history-budget';
import { PATCHES } from './patches';
import { planTasks } from './planning';
import { publishStatus } from './status';
import { versioningBehavior } from './versioning';

export type { CrewWorkflowInput };

export async function crewWorkflow(input: CrewWorkflowInput): Promise<CrewResult> {
  const run = new CrewRun(input);
  setHandler(progressQuery, () => ({ ...run.progress, approvals: run.approvals.waiting }));
  setHandler(stopSignal, () => run.requestStop());
  const { executionId } = input;

  let continuation: CrewWorkflowInput;
  try {
    let tasks = run.plan.tasks;
    if (!input.resume) {
      await persistence.markExecutionRunning({ executionId });
      publishStatus('RUNNING');
      await run.attachMcpTools();
      tasks = run.plan.planning ? await planTasks(run) : run.plan.tasks;
    }
    const ran = await runTasks(run, tasks, input.resume?.next ?? 0);
    if (ran.continueAt === undefined) {
      const last = tasks[tasks.length - 1];
      const final = last ? ran.outputs.get(last.key) : undefined;
      return await finish(run, 'COMPLETED', ran.outputs, final);
    }
    // A long history or a new worker version: the next run goes on from the next task.
    await run.approvals.drain();
    await condition(allHandlersFinished);
    continuation = run.continuation(tasks, ran.continueAt);
  } catch (error) {
    if (error instanceof ExecutionStopped) {
      const outputs = completedOutputs(run);
      const lastDone = [...run.progress.tasks]
        .reverse()
        .find((task) => task.status === 'COMPLETED');
      return await finish(run, 'STOPPED', outputs, lastDone && outputs.get(lastDone.key));
    }
    if (error instanceof ExecutionRejected) {
      run.progress.status = 'REJECTED';
      publishStatus('REJECTED');
      await run.approvals.drain();
      await persistence.finishExecution({
        executionId,
        status: 'REJECTED',
        error: error.message,
        usage: run.progress.usage,
      });
      throw ApplicationFailure.create({
        type: TASK_FAILED,
        message: error.message,
        nonRetryable: true,
      });
    }
    if (isCancellation(error)) {
      run.progress.status = 'CANCELLED';
      publishStatus('CANCELLED');
      await CancellationScope.nonCancellable(() =>
        persistence.finishExecution({
          executionId,
          status: 'CANCELLED',
          usage: run.progress.usage,
          error: 'Cancelled (force stop)',
        }),
      );
      throw error;
    }
    run.progress.status = 'FAILED';
    publishStatus('FAILED');
    const message = innermostMessage(error);
    await persistence.finishExecution({
      executionId,
      status: 'FAILED',
      error: message,
      usage: run.progress.usage,
    });
    throw ApplicationFailure.create({
      type: TASK_FAILED,
      message,
      nonRetryable: true,
      cause: error as Error,
    });
  }
  // The next run starts on the deployment's current version (a fresh run: nothing to replay).
  return await makeContinueAsNewFunc<typeof crewWorkflow>({
    initialVersioningBehavior: 'AUTO_UPGRADE',
  })(continuation);
}

// With worker versioning, a crew runs to its end on the version it started on (or moves at a
// continue-as-new); see worker/deployment.ts.
setWorkflowOptions(versioningBehavior('PINNED'), crewWorkflow);

const shouldContinueAsNew = (run: CrewRun) =>
  historyFull(run.input.history_limits) || newVersionAvailable();

/**
 * Runs the tasks from position `from`; returns each task's answer by key (those this run did,
 * and the latest one before it), or where to continue as new when the history is long.
 */
async function runTasks(
  run: CrewRun,
  tasks: readonly TaskPlan[],
  from: number,
): Promise<{ outputs: Map<string, AgentAnswer>; continueAt?: number }> {
  const outputs = new Map<string, AgentAnswer>(
    run.progress.tasks.flatMap((task) =>
      task.status === 'COMPLETED' && task.output !== undefined
        ? [[task.key, { output: task.output, json: task.output_json }]]
        : [],
    ),
  );
  const running = new Map<string, Promise<AgentAnswer>>();
  const asyncRuns: Promise<AgentAnswer>[] = [];
  let failure: unknown;
  let continueAt: number | undefined;
  try {
    for (const [index, task] of tasks.entries()) {
      if (index < from) continue;
      run.throwIfStopRequested();
      // Only between tasks with nothing running alongside is the state small enough to carry.
      if (running.size === 0 && index > from && shouldContinueAsNew(run)) {
        continueAt = index;
        break;
      }
      const context = await Promise.all(
        task.context.map(async (key) => ({
          key,
          answer: outputs.get(key) ?? (await running.get(key)),
        })),
      );
      const started = runTask(run, task, context).then((answer) => {
        outputs.set(task.key, answer);
        running.delete(task.key);
        return answer;
      });
      if (task.async_execution) {
        running.set(task.key, started);
        asyncRuns.push(started);
        started.catch(() => undefined); // observed below, when a task needs it or at the end
      } else {
        await started;
      }
    }
  } catch (error) {
    failure = error;
  }
  // Never leave asynchronous tasks behind, and never let one fail unnoticed.
  const settled = await Promise.allSettled(asyncRuns);
  const rejected = settled.flatMap((result): unknown[] =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  const first =
    failure ??
    rejected.find((reason) => reason instanceof ExecutionRejected) ??
    rejected.find((reason) => reason instanceof ExecutionStopped) ??
    rejected[0];
  if (first !== undefined) throw first as Error;
  return { outputs, ...(continueAt !== undefined && { continueAt }) };
}

async function runTask(
  run: CrewRun,
  task: TaskPlan,
  context: { key: string; answer: AgentAnswer | undefined }[],
): Promise<AgentAnswer> {
  const state = run.task(task.key);
  state.status = 'RUNNING';
  state.started_at = new Date(Date.now()).toISOString();
  const stored = patched(PATCHES.conversationInStore);
  await run.saveTask(task.key);
  try {
    const job = jobFor(run, task, stored ? contextRefs(run, context) : contextText(run, context));
    const answer = await runAgent(run, job);
    state.status = 'COMPLETED';
    state.output = answer.output;
    if (answer.json !== undefined) state.output_json = answer.json;
    return answer;
  } catch (error) {
    const stopped = error instanceof ExecutionStopped || isCancellation(error);
    state.status = stopped ? 'STOPPED' : 'FAILED';
    if (state.status === 'FAILED') state.error = innermostMessage(error);
    throw error;
  } finally {
    state.finished_at = new Date(Date.now()).toISOString();
    await CancellationScope.nonCancellable(() => run.saveTask(task.key));
  }
}

function jobFor(run: CrewRun, task: TaskPlan, context: MessageText) {
  const { plan } = run;
  if (plan.process === 'hierarchical' && plan.manager) {
    return { taskKey: task.key, agent: plan.manager, task, context, coworkers: plan.agents };
  }
  const agent = plan.agents.find((candidate) => candidate.key === task.agent) as AgentPlan;
  const coworkers = agent.allow_delegation
    ? plan.agents.filter((other) => other.key !== agent.key)
    : [];
  return { taskKey: task.key, agent, task, context, coworkers };
}

function contextText(
  run: CrewRun,
  context: { key: string; answer: AgentAnswer | undefined }[],
): string {
  return context
    .filter((item) => item.answer !== undefined)
    .map((item) => `Output of "${taskTitle(run, item.key)}":\n${item.answer?.output ?? ''}`)
    .join('\n\n');
}

/** The context as references to the tasks' stored outputs: each travels through history once. */
function contextRefs(
  run: CrewRun,
  context: { key: string; answer: AgentAnswer | undefined }[],
): MessageText {
  return context
    .filter((item) => item.answer !== undefined || run.task(item.key).status === 'COMPLETED')
    .flatMap((item, index) => [
      `${index > 0 ? '\n\n' : ''}Output of "${taskTitle(run, item.key)}":\n`,
      { stored: taskOutputKey(run.input.executionId, item.key) },
    ]);
}

const taskTitle = (run: CrewRun, key: string) =>
  run.plan.tasks.find((candidate) => candidate.key === key)?.name ?? key;

function completedOutputs(run: CrewRun): Map<string, AgentAnswer> {
  return new Map(
    run.progress.tasks
      .filter((task) => task.status === 'COMPLETED' && task.output !== undefined)
      .map((task) => [task.key, { output: task.output as string, json: task.output_json }]),
  );
}

async function finish(
  run: CrewRun,
  status: 'COMPLETED' | 'STOPPED',
  outputs: Map<string, AgentAnswer>,
  final: AgentAnswer | undefined,
): Promise<CrewResult> {
  run.progress.status = status;
  publishStatus(status);
  delete run.progress.current_step;
  await run.approvals.drain();
  await persistence.finishExecution({
    executionId: run.input.executionId,
    status,
    ...(final && { output: final.output }),
    ...(final?.json !== undefined && { output_json: final.json }),
    usage: run.progress.usage,
  });
  return {
    status,
    ...(final && { output: final.output }),
    ...(final?.json !== undefined && { output_json: final.json }),
    tasks: Object.fromEntries([...outputs].map(([key, answer]) => [key, answer.output])),
    usage: run.progress.usage,
  };
}
