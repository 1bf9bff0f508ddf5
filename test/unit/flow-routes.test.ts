/** The pure rules of routing in the flow interpreter: which route, which steps can no longer run. */
import { parseExpression } from '../../shared/flows/expression';
import { NO_USAGE } from '../../shared/llm/chat';
import type { FlowPlan, FlowRouterPlan, FlowStepPlan } from '../../shared/plan/flow-plan';
import {
  blockedSteps,
  chooseRoute,
  RouteConditionError,
  routerScope,
  type StepOutcome,
} from '../../workflows/flow-run';

const step = (id: string, listen?: FlowStepPlan['listen']) =>
  ({ id, ...(listen && { listen }) }) as FlowStepPlan;

const router = (id: string, after: string, routes: Record<string, string>): FlowRouterPlan => ({
  id,
  after,
  routes: Object.entries(routes).map(([name, condition]) => ({
    name,
    condition,
    expression: parseExpression(condition),
  })),
});

/**
 * rate → decide: good → publish → announce (AND publish, rate)
 *                bad  → rewrite ↘ either (OR publish, rewrite)
 * publish → channel: web → post
 */
const plan = {
  steps: [
    step('rate'),
    step('publish', { router: 'decide', route: 'good' }),
    step('rewrite', { router: 'decide', route: 'bad' }),
    step('announce', { to: ['publish', 'rate'], condition: 'AND' }),
    step('either', { to: ['publish', 'rewrite'], condition: 'OR' }),
    step('post', { router: 'channel', route: 'web' }),
  ],
  routers: [
    router('decide', 'rate', { good: 'rating >= 8', bad: 'rating <= 2' }),
    router('channel', 'publish', { web: 'true' }),
  ],
} as unknown as FlowPlan;

describe('blockedSteps', () => {
  const started = new Set(['rate']);

  it('blocks nothing before a router decides', () => {
    expect(blockedSteps(plan, new Set(), new Set(), started)).toEqual([]);
  });

  it('blocks every route of a router that took none, and what only they lead to', () => {
    expect(blockedSteps(plan, new Set(['decide']), new Set(), started)).toEqual([
      'publish',
      'rewrite',
      'announce',
      'either',
      'post',
    ]);
  });

  it('blocks the routes not taken; an OR join still has a way in', () => {
    expect(blockedSteps(plan, new Set(['decide']), new Set(['decide/bad']), started)).toEqual([
      'publish',
      'announce',
      'post',
    ]);
    expect(blockedSteps(plan, new Set(['decide']), new Set(['decide/good']), started)).toEqual([
      'rewrite',
    ]);
  });

  it('never blocks a step that has started', () => {
    expect(
      blockedSteps(plan, new Set(['decide']), new Set(), new Set(['rate', 'rewrite'])),
    ).toEqual(['publish', 'announce', 'post']);
  });
});

describe('chooseRoute', () => {
  const decide = router('decide', 'rate', { good: 'rating >= 8', bad: 'rating <= 2' });

  it('takes the first route whose condition holds, else the default route or none', () => {
    expect(chooseRoute(decide, { rating: 9 }, {})).toBe('good');
    expect(chooseRoute(decide, { rating: 1 }, {})).toBe('bad');
    expect(chooseRoute(decide, { rating: 5 }, {})).toBeUndefined();
    expect(chooseRoute({ ...decide, default_route: 'bad' }, { rating: 5 }, {})).toBe('bad');
  });

  it('reports the condition that meets mismatched kinds, or evaluates it as false when lenient', () => {
    const outcome: StepOutcome = { status: 'COMPLETED', output: 'x', usage: NO_USAGE };
    const scope = routerScope({ rating: 9 }, new Map([['rating', outcome]]));
    expect(scope.rating).toEqual({ output: 'x' });
    const error = (() => {
      try {
        chooseRoute(decide, scope, { describe: (path) => `step '${path[0]}'` });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RouteConditionError);
    expect(error).toMatchObject({
      condition: 'rating >= 8',
      message:
        "compares an object (step 'rating') with a number (8): '>=' needs two numbers or two strings",
    });
    expect(chooseRoute(decide, scope, { kinds: 'lenient' })).toBeUndefined();
  });
});
