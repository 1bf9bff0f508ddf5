/**
 * The state of one flow execution inside its workflow: the flow state, each step's progress and
 * outcome, the routes taken; plus the pure rules that decide what runs next. The workflow
 * function only wires them to activities, child crews and approvals.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { Validator } from '@cfworker/json-schema';
import { FAILURE_TYPES } from '../shared/errors';
import { evaluateExpression, isTruthy, type EvaluationOptions } from '../shared/flows/evaluation';
import { ExpressionError, variablesOf } from '../shared/flows/expression';
import { addUsage, NO_USAGE, type TokenUsage } from '../shared/llm/chat';
import type { CrewResult, HistoryLimits } from '../shared/plan/execution-state';
import type { FlowPlan, FlowRouterPlan, FlowStepPlan } from '../shared/plan/flow-plan';
import type { OnNoRoute } from '../shared/schemas/flow.schema';
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

  /**
   * After `stepId` finished: the routes its routers take, recorded. `checked` (runs since
   * PATCHES.routerOutcomes): a condition that meets values of mismatched kinds fails the flow,
   * the steps that can no longer run become SKIPPED, and the routers where no route matched are
   * returned. Before, such a condition was false and nothing was returned.
   */
  route(stepId: string, checked: boolean): NoMatch[] {
    const unmatched: NoMatch[] = [];
    for (const router of this.plan.routers.filter((candidate) => candidate.after === stepId)) {
      const scope = routerScope(this.state, this.outcomes);
      const route = checked
        ? this.checkedRoute(router, scope)
        : chooseRoute(router, scope, { kinds: 'lenient' });
      this.progress.routes.push({ router: router.id, route: route ?? null });
      if (route !== undefined) this.taken.add(`${router.id}/${route}`);
      else if (checked) unmatched.push(noMatch(router, scope));
    }
    if (!checked) return unmatched;
    const skipped = this.skipBlocked();
    return unmatched.map((item) => ({ ...item, skipped }));
  }

  private checkedRoute(router: FlowRouterPlan, scope: Record<string, unknown>) {
    const stepIds = new Set(this.plan.steps.map((step) => step.id));
    const describe = (path: readonly string[]) => describeVariable(path, scope, stepIds);
    try {
      return chooseRoute(router, scope, { kinds: 'strict', describe });
    } catch (error) {
      if (!(error instanceof RouteConditionError)) throw error;
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.flowFailed,
        nonRetryable: true,
        message: `router '${router.id}': condition '${error.condition}' ${error.message}`,
      });
    }
  }

  /** Marks SKIPPED the pending steps that can no longer run; returns them. */
  private skipBlocked(): string[] {
    const decided = new Set(this.progress.routes.map((item) => item.router));
    return blockedSteps(this.plan, decided, this.taken, this.started).filter((id) => {
      const current = this.step(id);
      if (current.status !== 'PENDING') return false;
      current.status = 'SKIPPED';
      return true;
    });
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

/**
 * Steps not started whose listener can never fire: a route of a router that has decided was not
 * taken, or every step it waits for (any, for AND) is itself blocked.
 */
export function blockedSteps(
  plan: FlowPlan,
  decided: ReadonlySet<string>,
  taken: ReadonlySet<string>,
  started: ReadonlySet<string>,
): string[] {
  const afterOf = new Map(plan.routers.map((router) => [router.id, router.after]));
  const blocked = new Set<string>();
  const never = (listen: NonNullable<FlowStepPlan['listen']>): boolean => {
    if ('router' in listen) {
      const notTaken = decided.has(listen.router) && !taken.has(`${listen.router}/${listen.route}`);
      return notTaken || blocked.has(afterOf.get(listen.router) ?? '');
    }
    return listen.condition === 'AND'
      ? listen.to.some((source) => blocked.has(source))
      : listen.to.every((source) => blocked.has(source));
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const step of plan.steps) {
      if (!step.listen || started.has(step.id) || blocked.has(step.id)) continue;
      if (never(step.listen)) {
        blocked.add(step.id);
        changed = true;
      }
    }
  }
  return plan.steps.filter((step) => blocked.has(step.id)).map((step) => step.id);
}

/** What conditions read: the state, and each finished step's record under its id. */
export function routerScope(
  state: Record<string, unknown>,
  outcomes: ReadonlyMap<string, StepOutcome>,
): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...state };
  for (const [id, outcome] of outcomes) {
    const json = outcome.output_json;
    scope[id] = {
      ...(json !== null && typeof json === 'object' ? json : {}),
      output: outcome.output ?? null,
    };
  }
  return scope;
}

/** A condition that could not be evaluated (values of kinds that do not compare). */
export class RouteConditionError extends Error {
  constructor(
    readonly condition: string,
    message: string,
  ) {
    super(message);
    this.name = 'RouteConditionError';
  }
}

/** The route a router takes: the first whose condition holds, else its default route. */
export function chooseRoute(
  router: FlowRouterPlan,
  scope: Record<string, unknown>,
  options: EvaluationOptions,
): string | undefined {
  const route = router.routes.find((candidate) => {
    try {
      return isTruthy(evaluateExpression(candidate.expression, scope, options));
    } catch (error) {
      if (error instanceof ExpressionError) {
        throw new RouteConditionError(candidate.condition, error.message);
      }
      throw error;
    }
  });
  return route?.name ?? router.default_route;
}

/** A router where no condition held, and what its conditions read (shortened). */
export interface NoMatch {
  router: string;
  after: string;
  on_no_route: OnNoRoute;
  routes: { name: string; condition: string; values: Record<string, unknown> }[];
  /** The steps that became SKIPPED with this decision. */
  skipped?: string[];
}

const MAX_VALUE_SHOWN = 200;

function noMatch(router: FlowRouterPlan, scope: Record<string, unknown>): NoMatch {
  return {
    router: router.id,
    after: router.after,
    on_no_route: router.on_no_route ?? 'end',
    routes: router.routes.map((route) => ({
      name: route.name,
      condition: route.condition,
      values: Object.fromEntries(
        variablesOf(route.expression).map((path) => [
          path.join('.'),
          shortened(evaluateExpression({ kind: 'path', path }, scope)),
        ]),
      ),
    })),
  };
}

/** A value small enough for an event: as it is, or cut to its first characters (as JSON). */
function shortened(value: unknown): unknown {
  if (value === null || (typeof value !== 'string' && typeof value !== 'object')) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_SHOWN ? `${text.slice(0, MAX_VALUE_SHOWN - 1)}…` : value;
}

/** How an error names a variable of a condition: a step's record, or a state field. */
function describeVariable(
  path: readonly string[],
  scope: Record<string, unknown>,
  stepIds: ReadonlySet<string>,
): string {
  const [head = '', ...rest] = path;
  const member = rest.length > 0 ? `'${path.join('.')}' of ` : '';
  if (!stepIds.has(head)) return `${member}state field '${head}'`;
  return Object.hasOwn(scope, head)
    ? `${member}step '${head}'`
    : `${member}step '${head}', which has not finished`;
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
