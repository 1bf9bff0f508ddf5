/**
 * Fills a crew plan's `{placeholders}` at run time (flow steps know their inputs only then).
 * Pure and deterministic, so it runs inside the flow workflow.
 */
import type { CrewPlan } from '../plan/crew-plan';
import { interpolate } from './interpolate';

export function fillCrewPlan(plan: CrewPlan, scope: Record<string, unknown>): CrewPlan {
  const fill = (text: string) => interpolate(text, scope).text;
  return {
    ...plan,
    agents: plan.agents.map((agent) => ({
      ...agent,
      role: fill(agent.role),
      goal: fill(agent.goal),
      backstory: fill(agent.backstory),
    })),
    tasks: plan.tasks.map((task) => ({
      ...task,
      description: fill(task.description),
      expected_output: fill(task.expected_output),
    })),
    inputs: scope,
  };
}

/** The scope of a flow step: crew defaults < flow state < the step's inputs (themselves filled). */
export function stepScope(
  defaults: Record<string, unknown>,
  state: Record<string, unknown>,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const filled = Object.fromEntries(
    Object.entries(inputs).map(([key, value]) => [
      key,
      typeof value === 'string' ? interpolate(value, state).text : value,
    ]),
  );
  return { ...defaults, ...state, ...filled };
}
