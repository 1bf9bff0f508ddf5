/**
 * Compiles a flow into a FlowPlan: every step's crew is compiled with the flow state's
 * placeholders left in place, and the graph is checked: unknown steps, a missing start point,
 * unreachable steps, listener cycles, router conditions that do not parse or name unknown
 * variables, a name that is both a step id and a state field, and gates on edges that do not
 * exist are errors that name the field.
 */
import { findCycle } from '../definitions/graph';
import type { FieldIssue } from '../errors';
import { ExpressionError, parseExpression, variablesOf } from '../flows/expression';
import type { CrewPlan } from '../plan/crew-plan';
import {
  FLOW_PLAN_VERSION,
  type FlowPlan,
  type FlowRouterPlan,
  type FlowStepPlan,
} from '../plan/flow-plan';
import type { CrewSpec } from '../schemas/crew.schema';
import type { FlowSpec } from '../schemas/flow.schema';
import { compileCrew, type CompileOptions, type SavedDefinitions } from './compile-crew';

export interface FlowCompileOptions extends Omit<CompileOptions, 'inputs' | 'crewId'> {
  /** Inputs of this execution: they become initial state. */
  inputs: Record<string, unknown>;
  flowId?: string;
}

export interface SavedFlowDefinitions extends SavedDefinitions {
  crews: ReadonlyMap<string, CrewSpec>;
}

export type FlowCompileResult = { ok: true; plan: FlowPlan } | { ok: false; issues: FieldIssue[] };

export function compileFlow(
  flow: FlowSpec,
  saved: SavedFlowDefinitions,
  options: FlowCompileOptions,
): FlowCompileResult {
  const issues: FieldIssue[] = [];
  const stepIndex = new Map<string, number>();
  flow.steps.forEach((step, index) => {
    if (stepIndex.has(step.id))
      issues.push({ path: `steps[${index}].id`, message: `duplicate step id '${step.id}'` });
    stepIndex.set(step.id, index);
  });
  const routerIndex = new Map<string, number>();
  flow.routers.forEach((router, index) => {
    if (routerIndex.has(router.id) || stepIndex.has(router.id)) {
      issues.push({ path: `routers[${index}].id`, message: `duplicate id '${router.id}'` });
    }
    routerIndex.set(router.id, index);
  });
  const knownStep = (id: string, path: string) => {
    if (!stepIndex.has(id)) issues.push({ path, message: `unknown step '${id}'` });
  };

  flow.start.forEach((id, index) => {
    knownStep(id, `start[${index}]`);
    const step = flow.steps[stepIndex.get(id) ?? -1];
    if (step?.listen)
      issues.push({ path: `start[${index}]`, message: `start step '${id}' cannot also listen` });
  });

  // The state's variables: declared by the schema's properties, by initial values or by this
  // execution's inputs.
  const stateFields = declaredStateFields(flow, options.inputs);
  const stateKeys = new Set(stateFields.keys());
  issues.push(...stepIdsThatAreStateFields(flow, stateFields));

  const routers: FlowRouterPlan[] = flow.routers.map((router, index) => {
    const path = `routers[${index}]`;
    knownStep(router.after, `${path}.after`);
    const names = new Set<string>();
    const routes = router.routes.flatMap((route, routeIndex) => {
      const routePath = `${path}.routes[${routeIndex}]`;
      if (names.has(route.name))
        issues.push({ path: `${routePath}.name`, message: `duplicate route '${route.name}'` });
      names.add(route.name);
      try {
        const expression = parseExpression(route.condition);
        for (const variable of variablesOf(expression)) {
          const head = variable[0] ?? '';
          if (!stateKeys.has(head) && !stepIndex.has(head)) {
            issues.push({
              path: `${routePath}.condition`,
              message: `router '${router.id}': unknown variable '${variable.join('.')}' (not a state field or a step id)`,
            });
          }
        }
        return [{ name: route.name, condition: route.condition, expression }];
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        issues.push({
          path: `${routePath}.condition`,
          message: `router '${router.id}': ${error.message}`,
        });
        return [];
      }
    });
    if (router.default_route !== undefined && !names.has(router.default_route)) {
      issues.push({
        path: `${path}.default_route`,
        message: `unknown route '${router.default_route}'`,
      });
    }
    return {
      id: router.id,
      after: router.after,
      routes,
      ...(router.default_route === undefined
        ? { on_no_route: router.on_no_route ?? 'end' }
        : { default_route: router.default_route }),
    };
  });

  // Edges of the flow graph: source step → step that listens to it.
  const edges = new Map<string, Set<string>>(
    flow.steps.map((step) => [step.id, new Set<string>()]),
  );
  flow.steps.forEach((step, index) => {
    const listen = step.listen;
    if (!listen) {
      if (!flow.start.includes(step.id)) {
        issues.push({
          path: `steps[${index}]`,
          message: `step '${step.id}' is neither a start point nor listens to anything`,
        });
      }
      return;
    }
    if ('to' in listen) {
      listen.to.forEach((source, sourceIndex) => {
        knownStep(source, `steps[${index}].listen.to[${sourceIndex}]`);
        edges.get(source)?.add(step.id);
      });
    } else {
      const router = flow.routers[routerIndex.get(listen.router) ?? -1];
      if (!router) {
        issues.push({
          path: `steps[${index}].listen.router`,
          message: `unknown router '${listen.router}'`,
        });
      } else {
        if (!router.routes.some((route) => route.name === listen.route)) {
          issues.push({
            path: `steps[${index}].listen.route`,
            message: `router '${listen.router}' has no route '${listen.route}'`,
          });
        }
        edges.get(router.after)?.add(step.id);
      }
    }
  });

  const cycle = findCycle(edges);
  if (cycle) {
    issues.push({
      path: `steps[${stepIndex.get(cycle[0] as string) ?? 0}].listen`,
      message: `listener cycle: ${cycle.join(' → ')}`,
    });
  } else {
    const reached = new Set<string>();
    const queue = flow.start.filter((id) => stepIndex.has(id));
    while (queue.length > 0) {
      const id = queue.shift() as string;
      if (reached.has(id)) continue;
      reached.add(id);
      queue.push(...(edges.get(id) ?? []));
    }
    flow.steps.forEach((step, index) => {
      if (!reached.has(step.id) && (step.listen || flow.start.includes(step.id))) {
        issues.push({
          path: `steps[${index}]`,
          message: `step '${step.id}' is unreachable from the start points`,
        });
      }
    });
  }

  flow.gates.forEach((gate, index) => {
    knownStep(gate.from, `gates[${index}].from`);
    knownStep(gate.to, `gates[${index}].to`);
    if (stepIndex.has(gate.from) && stepIndex.has(gate.to) && !edges.get(gate.from)?.has(gate.to)) {
      issues.push({
        path: `gates[${index}]`,
        message: `there is no edge from '${gate.from}' to '${gate.to}'`,
      });
    }
  });

  const steps: FlowStepPlan[] = flow.steps.flatMap((step, index) => {
    const path = `steps[${index}]`;
    const crew =
      step.crew ?? (step.crew_id !== undefined ? saved.crews.get(step.crew_id) : undefined);
    if (!crew) {
      issues.push({
        path: `${path}.crew_id`,
        message: `crew '${step.crew_id ?? ''}' not found in this group`,
      });
      return [];
    }
    const inputs = { ...crew.inputs, ...step.inputs };
    // Placeholders that the state or the step's inputs fill at run time stay in the plan.
    const deferred = Object.fromEntries(
      [...stateKeys, ...Object.keys(inputs)].map((name) => [name, `{${name}}`]),
    );
    const compiled = compileCrew(crew, saved, {
      ...options,
      inputs: deferred,
      ...(step.crew_id !== undefined && { crewId: step.crew_id }),
    });
    if (!compiled.ok) {
      issues.push(
        ...compiled.issues.map((issue) => ({ ...issue, path: `${path}.crew.${issue.path}` })),
      );
      return [];
    }
    return [
      {
        id: step.id,
        name: step.name ?? crew.name,
        ...(step.crew_id !== undefined && { crew_id: step.crew_id }),
        crew: { ...compiled.plan, inputs: {} } satisfies CrewPlan,
        defaults: crew.inputs,
        inputs: step.inputs,
        ...(step.listen && { listen: step.listen }),
        ...(step.output_key !== undefined && { output_key: step.output_key }),
      },
    ];
  });

  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    plan: {
      version: FLOW_PLAN_VERSION,
      kind: 'flow',
      name: flow.name,
      ...(options.flowId !== undefined && { flow_id: options.flowId }),
      start: flow.start,
      steps,
      routers,
      gates: flow.gates,
      state: {
        ...(flow.state.schema && { schema: flow.state.schema }),
        initial: { ...flow.state.initial, ...options.inputs },
      },
    },
  };
}

/**
 * In a condition a step id means the step's record, so a state field of the same name (or one a
 * step's `output_key` writes) could never be read there: `score >= 0.8` would compare the step
 * with a number.
 */
function stepIdsThatAreStateFields(flow: FlowSpec, stateFields: Map<string, string>): FieldIssue[] {
  const fields = new Map(stateFields);
  flow.steps.forEach((step, index) => {
    if (step.output_key !== undefined && !fields.has(step.output_key)) {
      fields.set(step.output_key, `steps[${index}].output_key`);
    }
  });
  return flow.steps.flatMap((step, index) => {
    const field = fields.get(step.id);
    if (field === undefined) return [];
    return [
      {
        path: `steps[${index}].id`,
        message: `'${step.id}' is both a step id (steps[${index}]) and a state field (${field}): in router conditions '${step.id}' means the step, so rename one`,
      },
    ];
  });
}

/** Each state field a flow declares, with where it is declared (the first place, for messages). */
function declaredStateFields(flow: FlowSpec, inputs: Record<string, unknown>): Map<string, string> {
  const fields = new Map<string, string>();
  const declare = (name: string, where: string) => {
    if (!fields.has(name)) fields.set(name, where);
  };
  const schema = flow.state.schema as { properties?: Record<string, unknown> } | undefined;
  Object.keys(schema?.properties ?? {}).forEach((name) =>
    declare(name, `state.schema.properties.${name}`),
  );
  Object.keys(flow.state.initial).forEach((name) => declare(name, `state.initial.${name}`));
  Object.keys(inputs).forEach((name) => declare(name, `the execution's inputs.${name}`));
  return fields;
}
