/**
 * Compiling a group's crews and flows the same way wherever it happens: the API when it starts
 * or schedules a run, the worker when a schedule fires. The compilers get the saved definitions
 * a crew or flow refers to, the group's tools and model configs, and the default model.
 */
import type { EntityManager } from '@mikro-orm/core';
import { compileCrew, type CompileOptions } from '../../compiler/compile-crew';
import { compileFlow } from '../../compiler/compile-flow';
import type { FieldIssue } from '../../errors';
import type { CrewPlan } from '../../plan/crew-plan';
import type { FlowPlan } from '../../plan/flow-plan';
import type { CrewSpec } from '../../schemas/crew.schema';
import type { FlowSpec } from '../../schemas/flow.schema';
import { CrewEntity, FlowEntity, ModelConfigEntity } from '../db/entities';
import { loadGroupToolset } from './group-toolset';
import { savedDefinitions, savedFlowDefinitions } from './saved-definitions';

/** The group's model configs by name, for the compiler. */
export async function modelConfigsByName(
  em: EntityManager,
  groupId: string,
): Promise<Map<string, { id: string; model: string }>> {
  const configs = await em.find(
    ModelConfigEntity,
    { groupId },
    { fields: ['id', 'name', 'model'] },
  );
  return new Map(configs.map((config) => [config.name, { id: config.id, model: config.model }]));
}

/** What both compilers need: the inputs, the group's tools and models, the default model. */
export async function compileOptions(
  em: EntityManager,
  groupId: string,
  inputs: Record<string, unknown>,
  defaultModel: string,
): Promise<Omit<CompileOptions, 'crewId'>> {
  const [toolset, modelConfigs] = await Promise.all([
    loadGroupToolset(em, groupId),
    modelConfigsByName(em, groupId),
  ]);
  return { inputs, toolset, modelConfigs, defaultModel };
}

/** A saved crew or flow of a group. */
export interface SavedTarget {
  kind: 'crew' | 'flow';
  id: string;
}

export type CompiledTarget =
  | {
      ok: true;
      kind: 'crew' | 'flow';
      plan: CrewPlan | FlowPlan;
      /** What the execution records as its inputs (a crew's include its own defaults). */
      inputs: Record<string, unknown>;
      /** The saved definition's version that was compiled. */
      version: number;
    }
  | { ok: false; missing: boolean; issues: FieldIssue[] };

/**
 * Compiles a saved crew or flow of the group with these inputs, as `POST /executions` does.
 * Issue paths are the request's: `crew_id`, `crew.tasks[0].description`, `flow.steps[1]…`.
 */
export async function compileSavedTarget(
  em: EntityManager,
  groupId: string,
  target: SavedTarget,
  inputs: Record<string, unknown>,
  defaultModel: string,
): Promise<CompiledTarget> {
  const entity = target.kind === 'crew' ? CrewEntity : FlowEntity;
  const row = await em.findOne(entity, { id: target.id, groupId });
  if (!row) return notFoundIn(target.kind, target.id);
  const compiled = await compileDefinition(
    em,
    groupId,
    { kind: target.kind, spec: row.spec, id: row.id } as Definition,
    inputs,
    defaultModel,
  );
  if (!compiled.ok) {
    return { ok: false, missing: false, issues: prefixed(target.kind, compiled) };
  }
  return {
    ok: true,
    kind: target.kind,
    plan: compiled.plan,
    // A crew's plan carries its inputs with the crew's own defaults.
    inputs: compiled.plan.kind === 'crew' ? compiled.plan.inputs : inputs,
    version: row.version,
  };
}

/** A crew or flow definition, saved (with its id) or about to be. */
export type Definition =
  | { kind: 'crew'; spec: CrewSpec; id?: string | undefined }
  | { kind: 'flow'; spec: FlowSpec; id?: string | undefined };

/** Compiles a definition with these inputs; issue paths are the definition's own. */
export async function compileDefinition(
  em: EntityManager,
  groupId: string,
  definition: Definition,
  inputs: Record<string, unknown>,
  defaultModel: string,
): Promise<{ ok: true; plan: CrewPlan | FlowPlan } | { ok: false; issues: FieldIssue[] }> {
  const options = await compileOptions(em, groupId, inputs, defaultModel);
  if (definition.kind === 'crew') {
    const crew = definition.spec;
    return compileCrew(crew, await savedDefinitions(em, groupId, [crew]), {
      ...options,
      ...(definition.id !== undefined && { crewId: definition.id }),
    });
  }
  const flow = definition.spec;
  return compileFlow(flow, await savedFlowDefinitions(em, groupId, flow), {
    ...options,
    ...(definition.id !== undefined && { flowId: definition.id }),
  });
}

function notFoundIn(kind: 'crew' | 'flow', id: string): CompiledTarget {
  return {
    ok: false,
    missing: true,
    issues: [{ path: `${kind}_id`, message: `${kind} '${id}' not found in this group` }],
  };
}

function prefixed(kind: 'crew' | 'flow', result: { issues: FieldIssue[] }): FieldIssue[] {
  return result.issues.map((issue) => ({ ...issue, path: `${kind}.${issue.path}` }));
}
