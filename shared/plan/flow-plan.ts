/**
 * The compiled form of a flow that the flow workflow interprets: versioned JSON, pinned at
 * start. Each step carries its crew's plan with `{placeholders}` of the flow state left in,
 * filled when the step starts.
 */
import type { Expression } from '../flows/expression';
import type { FlowGate, OnNoRoute } from '../schemas/flow.schema';
import type { CrewPlan } from './crew-plan';

export const FLOW_PLAN_VERSION = 1;

export type FlowListen =
  { to: string[]; condition: 'AND' | 'OR' } | { router: string; route: string };

export interface FlowStepPlan {
  id: string;
  name: string;
  crew_id?: string;
  crew: CrewPlan;
  /** The crew's own input defaults; the flow state overrides them. */
  defaults: Record<string, unknown>;
  /** The step's inputs; they override the state, and may use its `{placeholders}`. */
  inputs: Record<string, unknown>;
  listen?: FlowListen;
  output_key?: string;
}

export interface FlowRouterPlan {
  id: string;
  after: string;
  routes: { name: string; condition: string; expression: Expression }[];
  default_route?: string;
  /** Without a default route: what no matching route does (absent in older plans: `end`). */
  on_no_route?: OnNoRoute;
}

export interface FlowPlan {
  version: typeof FLOW_PLAN_VERSION;
  kind: 'flow';
  name: string;
  flow_id?: string;
  start: string[];
  steps: FlowStepPlan[];
  routers: FlowRouterPlan[];
  gates: FlowGate[];
  state: { schema?: Record<string, unknown>; initial: Record<string, unknown> };
}
