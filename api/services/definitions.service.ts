/**
 * Create, read, replace, patch and delete saved definitions (agents, tasks, crews), always
 * inside the caller's group. Specs are validated by their zod schema and then by reference
 * checks; nothing is written unless both pass.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { z } from 'zod';
import type { FieldIssue } from '../../shared/errors';
import { AgentSpecSchema, type AgentSpec } from '../../shared/schemas/agent.schema';
import { CrewSpecSchema, type CrewSpec } from '../../shared/schemas/crew.schema';
import { FlowSpecSchema, type FlowSpec } from '../../shared/schemas/flow.schema';
import { compileFlow } from '../../shared/compiler/compile-flow';
import { checkToolUse } from '../../shared/compiler/tool-resolution';
import { TaskSpecSchema, type TaskSpec } from '../../shared/schemas/task.schema';
import {
  AgentEntity,
  CrewEntity,
  FlowEntity,
  ScheduleEntity,
  TaskEntity,
  type DefinitionEntity,
  type DefinitionRow,
  type StoredSpec,
} from '../../shared/node/db/entities';
import { containsIgnoringCase } from '../../shared/node/db/filters';
import { loadGroupToolset } from '../../shared/node/definitions/group-toolset';
import { compileDefinition, type Definition } from '../../shared/node/definitions/compile-saved';
import { savedFlowDefinitions } from '../../shared/node/definitions/saved-definitions';
import { conflict, notFound, validationError } from '../http/errors';
import { fromZodError } from '../http/error-handler';
import { checkCrewReferences, checkTaskReferences } from './definition-references';
import { iso } from './serialize';
import { assertStartFits } from './start-size';

type Row = DefinitionRow;

export interface DefinitionKind<Spec> {
  noun: 'agent' | 'task' | 'crew' | 'flow';
  entity: DefinitionEntity;
  /** Validates a definition as written; its fields, with the resource's own, describe a stored one. */
  schema: z.ZodObject & z.ZodType<Spec>;
  checkReferences(
    em: EntityManager,
    groupId: string,
    spec: Spec,
    selfId?: string,
  ): Promise<FieldIssue[]>;
  /** Names of saved definitions that refer to this one (blocks deletion). */
  usedBy(em: EntityManager, groupId: string, id: string): Promise<string[]>;
  /**
   * What a run of the definition with its own default inputs would start with (crews and
   * flows), when it compiles without more inputs: too large a plan is refused on save.
   */
  plan?(em: EntityManager, groupId: string, spec: Spec, selfId?: string): Promise<unknown>;
}

const label = (kind: string, row: Row) => `${kind} '${row.name ?? row.id}'`;
const taskSpec = (row: Row) => row.spec as TaskSpec;
const crewSpec = (row: Row) => row.spec as CrewSpec;

export const AGENTS: DefinitionKind<AgentSpec> = {
  noun: 'agent',
  entity: AgentEntity,
  schema: AgentSpecSchema,
  checkReferences: async (em, groupId, spec) =>
    checkToolUse(spec, await loadGroupToolset(em, groupId)),
  async usedBy(em, groupId, id) {
    const tasks = await em.find(TaskEntity, { groupId });
    const crews = await em.find(CrewEntity, { groupId });
    return [
      ...tasks.filter((task) => taskSpec(task).agent === id).map((task) => label('task', task)),
      ...crews
        .filter((crew) => crewSpec(crew).agents.includes(id))
        .map((crew) => label('crew', crew)),
    ];
  },
};

export const TASKS: DefinitionKind<TaskSpec> = {
  noun: 'task',
  entity: TaskEntity,
  schema: TaskSpecSchema,
  checkReferences: async (em, groupId, spec, selfId) => [
    ...(await checkTaskReferences(em, groupId, spec, selfId)),
    ...checkToolUse(spec, await loadGroupToolset(em, groupId)),
  ],
  async usedBy(em, groupId, id) {
    const tasks = await em.find(TaskEntity, { groupId });
    const crews = await em.find(CrewEntity, { groupId });
    return [
      ...tasks
        .filter((task) => taskSpec(task).context.includes(id))
        .map((task) => label('task', task)),
      ...crews
        .filter((crew) => crewSpec(crew).tasks.includes(id))
        .map((crew) => label('crew', crew)),
    ];
  },
};

export const CREWS: DefinitionKind<CrewSpec> = {
  noun: 'crew',
  entity: CrewEntity,
  schema: CrewSpecSchema,
  async checkReferences(em, groupId, spec) {
    const toolset = await loadGroupToolset(em, groupId);
    const inline = (field: 'agents' | 'tasks') =>
      spec[field].flatMap((entry, index) =>
        typeof entry === 'string' ? [] : checkToolUse(entry, toolset, `${field}[${index}]`),
      );
    return [
      ...(await checkCrewReferences(em, groupId, spec)),
      ...inline('agents'),
      ...inline('tasks'),
    ];
  },
  async usedBy(em, groupId, id) {
    const flows = await em.find(FlowEntity, { groupId });
    return [
      ...flows
        .filter((flow) => (flow.spec as FlowSpec).steps.some((step) => step.crew_id === id))
        .map((flow) => label('flow', flow)),
      ...(await schedulesOf(em, groupId, 'crew', id)),
    ];
  },
  plan: (em, groupId, spec, selfId) => planOf(em, groupId, { kind: 'crew', spec, id: selfId }),
};

/** The plan a definition compiles to with its own default inputs, if it compiles. */
async function planOf(em: EntityManager, groupId: string, definition: Definition) {
  const compiled = await compileDefinition(em, groupId, definition, {}, SIZING_MODEL);
  return compiled.ok ? compiled.plan : undefined;
}

/** The schedules that run a crew or flow: deleting it would leave them failing every run. */
async function schedulesOf(em: EntityManager, groupId: string, kind: 'crew' | 'flow', id: string) {
  const schedules = await em.find(
    ScheduleEntity,
    { groupId, targetKind: kind, targetId: id, syncState: { $ne: 'deleting' } },
    { fields: ['id', 'name'] },
  );
  return schedules.map((schedule) => `schedule '${schedule.name}'`);
}

export const FLOWS: DefinitionKind<FlowSpec> = {
  noun: 'flow',
  entity: FlowEntity,
  schema: FlowSpecSchema,
  /** A flow is checked by compiling it: graph, routers, gates and every step's crew. */
  async checkReferences(em, groupId, spec) {
    const compiled = compileFlow(spec, await savedFlowDefinitions(em, groupId, spec), {
      inputs: {},
      toolset: await loadGroupToolset(em, groupId),
      modelConfigs: new Map(),
      defaultModel: 'default',
    });
    return compiled.ok ? [] : compiled.issues;
  },
  usedBy: (em, groupId, id) => schedulesOf(em, groupId, 'flow', id),
  plan: (em, groupId, spec, selfId) => planOf(em, groupId, { kind: 'flow', spec, id: selfId }),
};

export interface ListOptions {
  limit: number;
  offset: number;
  q?: string | undefined;
}

/** What saves of crews and flows are checked against. */
export interface RunLimits {
  /** The largest start of a run (KASAL_MAX_START_PAYLOAD_BYTES). */
  maxStartPayloadBytes: number;
}

/** A model name for plans compiled only to be measured: which model runs them does not matter. */
const SIZING_MODEL = 'default';

export class DefinitionsService<Spec extends StoredSpec & { name?: string | undefined }> {
  constructor(
    private readonly kind: DefinitionKind<Spec>,
    /** Without it (read-only uses), saves are not checked against the start size. */
    private readonly limits?: RunLimits,
  ) {}

  async list(em: EntityManager, groupId: string, options: ListOptions) {
    const where = {
      groupId,
      ...(options.q && containsIgnoringCase('name', options.q)),
    };
    const [rows, total] = await em.findAndCount(this.kind.entity, where, {
      orderBy: { createdAt: 'desc', id: 'asc' },
      limit: options.limit,
      offset: options.offset,
    });
    return {
      items: rows.map((row) => this.serialize(row)),
      total,
      limit: options.limit,
      offset: options.offset,
    };
  }

  async get(em: EntityManager, groupId: string, id: string) {
    return this.serialize(await this.find(em, groupId, id));
  }

  /** Saves a spec already parsed by the kind's schema, once its references check out. */
  async create(em: EntityManager, groupId: string, userId: string, spec: Spec) {
    await this.checkReferences(em, groupId, spec);
    const row = em.create(this.kind.entity, {
      groupId,
      name: spec.name ?? null,
      spec,
      createdBy: userId,
    });
    await em.flush();
    return this.serialize(row);
  }

  async replace(em: EntityManager, groupId: string, id: string, spec: Spec) {
    const row = await this.find(em, groupId, id);
    await this.checkReferences(em, groupId, spec, id);
    return this.save(em, row, spec);
  }

  /** Merges the given top-level fields into the saved spec (`null` removes a field). */
  async patch(em: EntityManager, groupId: string, id: string, changes: Record<string, unknown>) {
    const row = await this.find(em, groupId, id);
    const merged: Record<string, unknown> = { ...(row.spec as Record<string, unknown>) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const parsed = this.kind.schema.safeParse(merged);
    if (!parsed.success) throw fromZodError(parsed.error, this.kind.noun);
    await this.checkReferences(em, groupId, parsed.data, id);
    return this.save(em, row, parsed.data);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    const row = await this.find(em, groupId, id);
    const users = await this.kind.usedBy(em, groupId, id);
    if (users.length > 0) {
      throw conflict(`This ${this.kind.noun} is used by ${users.join(', ')}`, { used_by: users });
    }
    em.remove(row);
    await em.flush();
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<Row> {
    const row = await em.findOne(this.kind.entity, { id, groupId });
    if (!row) throw notFound(capitalize(this.kind.noun), id);
    return row;
  }

  private async checkReferences(em: EntityManager, groupId: string, spec: Spec, selfId?: string) {
    const issues = await this.kind.checkReferences(em, groupId, spec, selfId);
    if (issues.length > 0) throw validationError(this.kind.noun, issues);
    if (!this.limits || !this.kind.plan) return;
    // A definition that needs run inputs to compile is measured when it starts.
    const plan = await this.kind.plan(em, groupId, spec, selfId);
    if (plan !== undefined) {
      assertStartFits(
        `A run of this ${this.kind.noun}`,
        { plan },
        this.limits.maxStartPayloadBytes,
      );
    }
  }

  private async save(em: EntityManager, row: Row, spec: Spec) {
    row.spec = spec;
    row.name = spec.name ?? null;
    row.version += 1;
    await em.flush();
    return this.serialize(row);
  }

  private serialize(row: Row) {
    return {
      ...(row.spec as unknown as Spec),
      id: row.id,
      group_id: row.groupId,
      version: row.version,
      created_by: row.createdBy,
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt),
    };
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
