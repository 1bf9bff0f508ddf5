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
  const options = await compileOptions(em, groupId, inputs, defaultModel);
  if (target.kind === 'crew') {
    const row = await em.findOne(CrewEntity, { id: target.id, groupId });
    if (!row) return notFoundIn('crew', target.id);
    const crew = row.spec as unknown as CrewSpec;
    const compiled = compileCrew(crew, await savedDefinitions(em, groupId, [crew]), {
      ...options,
      crewId: row.id,
    });
    if (!compiled.ok) return { ok: false, missing: false, issues: prefixed('crew', compiled) };
    return {
      ok: true,
      kind: 'crew',
      plan: compiled.plan,
      inputs: compiled.plan.inputs,
      version: row.version,
    };
  }
  const row = await em.findOne(FlowEntity, { id: target.id, groupId });
  if (!row) return notFoundIn('flow', target.id);
  const flow = row.spec as unknown as FlowSpec;
  const compiled = compileFlow(flow, await savedFlowDefinitions(em, groupId, flow), {
    ...options,
    flowId: row.id,
  });
  if (!compiled.ok) return { ok: false, missing: false, issues: prefixed('flow', compiled) };
  return { ok: true, kind: 'flow', plan: compiled.plan, inputs, version: row.version };
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
