/**
 * Saved definitions (agents, tasks, crews). The validated spec is stored as JSON, so a field
 * added to a schema needs no migration; name and group are columns for listing and tenancy.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

/** A spec as stored; each kind's schema gives it its type when it is read. */
export type StoredSpec = Record<string, unknown>;

const definitionProperties = () => ({
  id: uuidPrimaryKey(),
  groupId: p.uuid().index(),
  name: p.string().length(200).nullable(),
  spec: p.json<StoredSpec>(),
  createdBy: p.uuid(),
  version: p.integer().default(1),
  ...timestamps(),
});

export const AgentEntity = defineEntity({
  name: 'Agent',
  tableName: 'agents',
  properties: definitionProperties(),
});
export const TaskEntity = defineEntity({
  name: 'Task',
  tableName: 'tasks',
  properties: definitionProperties(),
});
export const CrewEntity = defineEntity({
  name: 'Crew',
  tableName: 'crews',
  properties: definitionProperties(),
});

export const FlowEntity = defineEntity({
  name: 'Flow',
  tableName: 'flows',
  properties: definitionProperties(),
});

/** Agents, tasks, crews and flows share one row shape. */
export type DefinitionRow = InferEntity<typeof AgentEntity>;
export type DefinitionEntity =
  typeof AgentEntity | typeof TaskEntity | typeof CrewEntity | typeof FlowEntity;
