/**
 * The state of one flow execution inside its workflow: the flow state, each step's progress and
 * outcome, the routes taken; plus the pure rules that decide what runs next. The workflow
 * function only wires them to activities, child crews and approvals.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { Validator } from '@cfworker/json-schema';
import { FAILURE_TYPES } from '../shared/errors';
import { evaluateExpression, isTruthy } from '../shared/flows/expression';
import { addUsage, NO_USAGE, type TokenUsage } from '../shared/llm/chat';
import type { CrewResult, HistoryLimits } from '../shared/plan/execution-state';
import type { FlowPlan, FlowRouterPlan, FlowStepPlan } from '../shared/plan/flow-plan';
import type { FlowProgress, FlowStepState } from '../shared/plan/flow-state';

export interface FlowWorkflowInput {
  executionId: string;
  groupId: string;
  plan: FlowPlan;
  /** When the flow and its crews continue as new. */
  history_limits?: HistoryLimits;
  /** Set when this run continues an earlier run of the same execution. */
  resume?: FlowResume;
}

/** A finished step's outcome, as routers, gates and the flow's result need it. */
export type StepOutcome = Omit<CrewResult, 'tasks'>;

/** What a run hands to the run that continues it. */
export interface FlowResume {
  progress: Omit<FlowProgress, 'approvals'>;
  outcomes: Record<string, StepOutcome>;
  /** Routes taken, as `router/route`. */
  taken: string[];
  started: string[];
  /** The step whose output is the flow's output so far. */
  last?: string;
  /** Steps ready to start, which the new run starts first. */
  next: string[];
}

export interface FlowResult {
  status: 'COMPLETED' | 'STOPPED';
  output?: string;
  state: Record<string, unknown>;
  steps: Record<string, string>;
}

/** Ends a flow as REJECTED (a person said no, or an approval timed out with auto_reject). */
export class FlowRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowRejected';
  }
}

export class FlowStopped extends Error {
  constructor() {
    super('The flow was stopped');
    this.name = 'FlowStopped';
  }
}

export class FlowRun {
  readonly progress: Omit<FlowProgress, 'approvals'>;
  readonly outcomes: Map<string, StepOutcome>;
  readonly taken: Set<string>;
  readonly started: Set<string>;
  last: string | undefined;

  constructor(readonly input: FlowWorkflowInput) {
    const { plan, resume } = input;
    this.progress = resume?.progress ?? {
      status: 'RUNNING',
      state: JSON.parse(JSON.stringify(plan.state.initial)) as Record<string, unknown>,
      steps: plan.steps.map((step) => ({
        id: step.id,
        name: step.name,
        status: 'PENDING',
        runs: 0,
      })),
      routes: [],
      usage: NO_USAGE,
      stop_requested: false,
    };
    this.outcomes = new Map(Object.entries(resume?.outcomes ?? {}));
    this.taken = new Set(resume?.taken);
    this.started = new Set(resume?.started);
    this.last = resume?.last;
  }

  get plan(): FlowPlan {
    return this.input.plan;
  }

  get state(): Record<string, unknown> {
    return this.progress.state;
  }

  step(id: string): FlowStepState {
    return this.progress.steps.find((step) => step.id === id) as FlowStepState;
  }

  stepPlan(id: string): FlowStepPlan {
    return this.plan.steps.find((step) => step.id === id) as FlowStepPlan;
  }

  addUsage(usage: TokenUsage): void {
    this.progress.usage = addUsage(this.progress.usage, usage);
  }

  /** A step's crew finished: its outcome is kept and its output merged into the state. */
  complete(step: FlowStepPlan, result: CrewResult): void {
    const { tasks: _tasks, ...outcome } = result;
    this.outcomes.set(step.id, outcome);
    absorb(this.plan, this.state, step, result);
    const current = this.step(step.id);
    current.status = 'COMPLETED';
    if (result.output !== undefined) current.output = result.output;
  }

  /** After `stepId` finished: the routes its routers take, recorded. */
  route(stepId: string): void {
    for (const router of this.plan.routers.filter((candidate) => candidate.after === stepId)) {
      const route = chooseRoute(router, this.state, this.outcomes);
      this.progress.routes.push({ router: router.id, route: route ?? null });
      if (route !== undefined) this.taken.add(`${router.id}/${route}`);
    }
  }

  /** Steps that may start now. */
  ready(): string[] {
    return readySteps(this.plan, this.outcomes, this.taken, this.started);
  }

  stepOutputs(): Record<string, string> {
    return Object.fromEntries(
      [...this.outcomes].map(([id, outcome]) => [id, outcome.output ?? '']),
    );
  }

  /** The input of the run that continues this one, starting `next`. */
  continuation(next: string[]): FlowWorkflowInput {
    return {
      executionId: this.input.executionId,
      groupId: this.input.groupId,
      plan: this.plan,
      ...(this.input.history_limits && { history_limits: this.input.history_limits }),
      resume: {
        progress: this.progress,
        outcomes: Object.fromEntries(this.outcomes),
        taken: [...this.taken],
        started: [...this.started],
        ...(this.last !== undefined && { last: this.last }),
        next,
      },
    };
  }
}

/** The steps whose listener fires and that have not started. */
export function readySteps(
  plan: FlowPlan,
  done: ReadonlyMap<string, unknown>,
  taken: ReadonlySet<string>,
  started: ReadonlySet<string>,
): string[] {
  return plan.steps
    .filter((step) => {
      const listen = step.listen;
      if (started.has(step.id) || !listen) return false;
      if ('router' in listen) return taken.has(`${listen.router}/${listen.route}`);
      return listen.condition === 'AND'
        ? listen.to.every((source) => done.has(source))
        : listen.to.some((source) => done.has(source));
    })
    .map((step) => step.id);
}

/** The route a router takes: the first whose condition holds over state and outcomes. */
export function chooseRoute(
  router: FlowRouterPlan,
  state: Record<string, unknown>,
  outcomes: ReadonlyMap<string, StepOutcome>,
): string | undefined {
  const scope: Record<string, unknown> = { ...state };
  for (const [id, outcome] of outcomes) {
    const json = outcome.output_json;
    scope[id] = {
      ...(json !== null && typeof json === 'object' ? json : {}),
      output: outcome.output ?? null,
    };
  }
  const route = router.routes.find((candidate) =>
    isTruthy(evaluateExpression(candidate.expression, scope)),
  );
  return route?.name ?? router.default_route;
}

/** A crew's structured output is merged into the state; `output_key` keeps its text too. */
function absorb(
  plan: FlowPlan,
  state: Record<string, unknown>,
  step: FlowStepPlan,
  result: CrewResult,
): void {
  const json = result.output_json;
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) Object.assign(state, json);
  if (step.output_key && result.output !== undefined) state[step.output_key] = result.output;
  if (!plan.state.schema) return;
  const check = new Validator(plan.state.schema, '2020-12', false).validate(state);
  if (check.valid) return;
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
